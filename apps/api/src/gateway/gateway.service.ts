import { Injectable, Logger } from '@nestjs/common';
import {
  AnthropicMessagesRequest,
  AnthropicStreamEncoder,
  anthropicRequestToNeutral,
  ChatRequest,
  formatAnthropicSse,
  formatAnthropicSseError,
  formatOpenAISse,
  neutralToAnthropicResponse,
  neutralToOpenAIResponse,
  OPENAI_SSE_DONE,
  OpenAIChatRequest,
  OpenAIStreamEncoder,
  openAIRequestToNeutral,
  ProviderError,
} from '@pantheon/providers';
import type { Response } from 'express';
import { clientGone, startEventStream } from '../common/client-gone';
import { mapError } from '../common/http-exception.filter';
import { LlmCallService } from '../ai/llm-call.service';
import { ModelsService } from '../ai/models.service';
import type { ProjectPrincipal } from './project-token.guard';

function withoutModel(request: ChatRequest): Omit<ChatRequest, 'model'> {
  const { model: _model, ...rest } = request;
  return rest;
}

/**
 * Serves either wire format from any provider: the request is translated to the neutral model, sent with the
 * project owner's key through LlmCallService (budgets, usage), and the answer translated back — so a tool that
 * speaks only Anthropic's API can use an OpenAI-format model and vice versa.
 */
@Injectable()
export class GatewayService {
  private readonly logger = new Logger('GatewayService');

  constructor(
    private readonly llm: LlmCallService,
    private readonly modelsService: ModelsService,
  ) {}

  async models(p: ProjectPrincipal): Promise<{ object: 'list'; data: { id: string; object: 'model'; created: number; owned_by: string }[] }> {
    const { data } = await this.modelsService.list(p.userId);
    return { object: 'list', data: data.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })) };
  }

  async openAIChat(p: ProjectPrincipal, body: unknown, res: Response): Promise<void> {
    const raw = body as OpenAIChatRequest & { stream?: boolean; stream_options?: { include_usage?: boolean } };
    const request = openAIRequestToNeutral(raw);
    const ctx = await this.llm.prepare(p.userId, p.projectId, request.model, 'gateway');
    const signal = clientGone(res);
    if (raw.stream !== true) {
      const result = await this.llm.complete(ctx, withoutModel(request), signal);
      res.status(200).json(neutralToOpenAIResponse(result, { model: request.model }));
      return;
    }
    const encoder = new OpenAIStreamEncoder({ model: request.model, includeUsage: raw.stream_options?.include_usage === true });
    startEventStream(res);
    try {
      for await (const event of this.llm.stream(ctx, withoutModel(request), signal)) {
        for (const chunk of encoder.push(event)) res.write(formatOpenAISse(chunk));
      }
      res.write(OPENAI_SSE_DONE);
    } catch (err) {
      this.logStreamFailure(p, err);
      if (!signal.aborted) res.write(`data: ${JSON.stringify({ error: { message: mapError(err).message, type: 'server_error' } })}\n\n`);
    } finally {
      res.end();
    }
  }

  async anthropicMessages(p: ProjectPrincipal, body: unknown, res: Response): Promise<void> {
    const raw = body as AnthropicMessagesRequest & { stream?: boolean };
    const request = anthropicRequestToNeutral(raw);
    const ctx = await this.llm.prepare(p.userId, p.projectId, request.model, 'gateway');
    const signal = clientGone(res);
    if (raw.stream !== true) {
      const result = await this.llm.complete(ctx, withoutModel(request), signal);
      res.status(200).json(neutralToAnthropicResponse(result, { model: request.model }));
      return;
    }
    const encoder = new AnthropicStreamEncoder({ model: request.model });
    startEventStream(res);
    try {
      for await (const event of this.llm.stream(ctx, withoutModel(request), signal)) {
        for (const e of encoder.push(event)) res.write(formatAnthropicSse(e));
      }
    } catch (err) {
      this.logStreamFailure(p, err);
      if (!signal.aborted) res.write(formatAnthropicSseError('api_error', mapError(err).message));
    } finally {
      res.end();
    }
  }

  private logStreamFailure(p: ProjectPrincipal, err: unknown): void {
    if (err instanceof ProviderError) return;
    this.logger.error({ userId: p.userId, projectId: p.projectId, err: (err as Error).message }, 'gateway stream failed');
  }
}
