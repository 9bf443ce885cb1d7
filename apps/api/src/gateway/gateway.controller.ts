import { Body, Controller, Get, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@pantheon/auth';
import type { Request, Response } from 'express';
import { GatewayExceptionFilter } from './gateway-exception.filter';
import { GatewayService } from './gateway.service';
import { ProjectPrincipal, ProjectTokenGuard } from './project-token.guard';

type GatewayRequest = Request & { projectPrincipal: ProjectPrincipal };

/**
 * The LLM gateway for a project's tools API and VM: OpenAI- and Anthropic-compatible endpoints authenticated
 * by a project token. The owner's provider key is decrypted in memory and never leaves the platform.
 * (Documented in the README; the public OpenAPI document covers the user API.)
 */
@ApiExcludeController()
@Public()
@UseGuards(ProjectTokenGuard)
@UseFilters(GatewayExceptionFilter)
@Controller('v1')
export class GatewayController {
  constructor(private readonly gateway: GatewayService) {}

  @Get('models')
  models(@Req() req: GatewayRequest): Promise<unknown> {
    return this.gateway.models(req.projectPrincipal);
  }

  @Post('chat/completions')
  @HttpCode(200)
  chatCompletions(@Req() req: GatewayRequest, @Body() body: unknown, @Res() res: Response): Promise<void> {
    return this.gateway.openAIChat(req.projectPrincipal, body, res);
  }

  @Post('messages')
  @HttpCode(200)
  messages(@Req() req: GatewayRequest, @Body() body: unknown, @Res() res: Response): Promise<void> {
    return this.gateway.anthropicMessages(req.projectPrincipal, body, res);
  }
}
