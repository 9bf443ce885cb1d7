import { Body, Controller, Get, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@pantheon/auth';
import type { Request, Response } from 'express';
import { clientGone, sendJsonOrStream } from '../common/sse';
import { upstreamTimingFor } from '../metrics/upstream-timing';
import { ModelListService } from '../models/model-list.service';
import { ProjectPrincipal, ProjectTokenGuard } from '../project-tokens/project-token.guard';
import { LlmProxyExceptionFilter } from './llm-proxy-exception.filter';
import { LlmProxyService } from './llm-proxy.service';

type ProxyRequest = Request & { projectPrincipal: ProjectPrincipal };

interface OpenAIModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

/**
 * The LLM proxy ("the gateway" in user docs) for a project's tools API and VM: OpenAI- and Anthropic-compatible
 * endpoints authenticated by a project token. The owner's provider key is decrypted in memory and never leaves
 * the platform. (Documented in the README; the public OpenAPI document covers the user API.)
 */
@ApiExcludeController()
@Public()
@UseGuards(ProjectTokenGuard)
@UseFilters(LlmProxyExceptionFilter)
@Controller('v1')
export class LlmProxyController {
  constructor(
    private readonly proxy: LlmProxyService,
    private readonly models: ModelListService,
  ) {}

  @Get('models')
  async listModels(@Req() req: ProxyRequest): Promise<OpenAIModelList> {
    const { data } = await this.models.list(req.projectPrincipal.userId);
    return { object: 'list', data: data.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })) };
  }

  @Post('chat/completions')
  @HttpCode(200)
  async chatCompletions(@Req() req: ProxyRequest, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const signal = clientGone(res);
    await sendJsonOrStream(res, await this.proxy.openAIChat(req.projectPrincipal, body, signal, upstreamTimingFor(req)), signal);
  }

  @Post('messages')
  @HttpCode(200)
  async messages(@Req() req: ProxyRequest, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const signal = clientGone(res);
    await sendJsonOrStream(res, await this.proxy.anthropicMessages(req.projectPrincipal, body, signal, upstreamTimingFor(req)), signal);
  }
}
