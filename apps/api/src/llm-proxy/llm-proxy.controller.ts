import { Body, Controller, Get, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@pantheon/auth';
import type { Request, Response } from 'express';
import { clientGone, sendJsonOrStream } from '../common/sse';
import { upstreamTimingFor } from '../metrics/upstream-timing';
import { ModelListService } from '../models/model-list.service';
import { ProjectPrincipal, ProjectTokenGuard } from '../project-tokens/project-token.guard';
import { LlmProxyExceptionFilter } from './llm-proxy-exception.filter';
import { AnthropicClientContext, LlmProxyService } from './llm-proxy.service';

type ProxyRequest = Request & { projectPrincipal: ProjectPrincipal };

/** Of an Anthropic client's headers, only the API version and its betas go upstream (never its credentials). */
function anthropicClient(req: Request): AnthropicClientContext {
  const headers: Record<string, string> = {};
  for (const name of ['anthropic-version', 'anthropic-beta']) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  if (typeof req.query.beta === 'string') query.beta = req.query.beta;
  return { headers, query };
}

interface OpenAIModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

interface AnthropicModelList {
  data: { type: 'model'; id: string; display_name: string; created_at: string }[];
  has_more: false;
  first_id: string | null;
  last_id: string | null;
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

  /** What the project can ask for: its aliases first, then the owner's models; Anthropic's shape for Anthropic clients. */
  @Get('models')
  async listModels(@Req() req: ProxyRequest): Promise<OpenAIModelList | AnthropicModelList> {
    const entries = await this.proxy.modelsFor(req.projectPrincipal, () => this.models.list(req.projectPrincipal.userId).then((l) => l.data));
    if (req.headers['anthropic-version'] !== undefined) {
      const data = entries.map((m) => ({ type: 'model' as const, id: m.id, display_name: m.name, created_at: new Date(0).toISOString() }));
      return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
    }
    return { object: 'list', data: entries.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })) };
  }

  @Post('chat/completions')
  @HttpCode(200)
  async chatCompletions(@Req() req: ProxyRequest, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const signal = clientGone(res);
    await sendJsonOrStream(res, await this.proxy.openAIChat(req.projectPrincipal, body, signal, upstreamTimingFor(req)), signal);
  }

  @Post('responses')
  @HttpCode(200)
  async responses(@Req() req: ProxyRequest, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const signal = clientGone(res);
    await sendJsonOrStream(res, await this.proxy.openAIResponses(req.projectPrincipal, body, signal, upstreamTimingFor(req)), signal);
  }

  @Post('embeddings')
  @HttpCode(200)
  embeddings(@Req() req: ProxyRequest, @Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<unknown> {
    return this.proxy.openAIEmbeddings(req.projectPrincipal, body, clientGone(res), upstreamTimingFor(req));
  }

  @Post('messages')
  @HttpCode(200)
  async messages(@Req() req: ProxyRequest, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const signal = clientGone(res);
    await sendJsonOrStream(res, await this.proxy.anthropicMessages(req.projectPrincipal, body, anthropicClient(req), signal, upstreamTimingFor(req)), signal);
  }

  @Post('messages/count_tokens')
  @HttpCode(200)
  countTokens(@Req() req: ProxyRequest, @Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<{ input_tokens: number }> {
    return this.proxy.anthropicCountTokens(req.projectPrincipal, body, anthropicClient(req), clientGone(res));
  }
}
