import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AnthropicMessagesRequest,
  anthropicRequestToNeutral,
  anthropicSseErrorFrame,
  anthropicSseFrame,
  AnthropicStreamEncoder,
  ChatRequest,
  neutralToAnthropicResponse,
  neutralToOpenAIResponse,
  OPENAI_SSE_DONE,
  OpenAIChatRequest,
  openAIRequestToNeutral,
  openAISseErrorFrame,
  openAISseFrame,
  OpenAIStreamEncoder,
} from '@pantheon/providers';
import { isCallFailure, mapError } from '../common/error-map';
import type { JsonOrStream } from '../common/sse';
import type { UpstreamTiming } from '../metrics/upstream-timing';
import type { ProjectPrincipal } from '../project-tokens/project-token.guard';
import { completeMetered, MeteringDeps, openMeteredCall, streamMetered } from '../usage/metered-call';
import { METERING } from '../usage/metering.provider';

/**
 * Serves either wire format from any provider: the request is translated to the neutral model, sent with the
 * project owner's key as a metered call (budgets, usage), and the answer translated back — so a tool that
 * speaks only Anthropic's API can use an OpenAI-format model and vice versa.
 */
@Injectable()
export class LlmProxyService {
  private readonly logger = new Logger('LlmProxyService');

  constructor(@Inject(METERING) private readonly metering: MeteringDeps) {}

  async openAIChat(p: ProjectPrincipal, body: unknown, signal: AbortSignal, timing?: UpstreamTiming): Promise<JsonOrStream<unknown>> {
    const raw = body as OpenAIChatRequest & { stream?: boolean; stream_options?: { include_usage?: boolean } };
    const { model, request } = splitModel(openAIRequestToNeutral(raw));
    const call = await openMeteredCall(this.metering, { userId: p.userId, projectId: p.projectId, modelRef: model, source: 'gateway', request, timing });
    if (raw.stream !== true) {
      return { json: neutralToOpenAIResponse(await completeMetered(this.metering, call, request, signal), { model }) };
    }
    const encoder = new OpenAIStreamEncoder({ model, includeUsage: raw.stream_options?.include_usage === true });
    const events = streamMetered(this.metering, call, request, signal);
    return {
      stream: (async function* () {
        for await (const event of events) for (const chunk of encoder.push(event)) yield openAISseFrame(chunk);
        yield OPENAI_SSE_DONE;
      })(),
      errorFrame: (err) => {
        this.logStreamFailure(p, err);
        return openAISseErrorFrame(mapError(err).message);
      },
    };
  }

  async anthropicMessages(p: ProjectPrincipal, body: unknown, signal: AbortSignal, timing?: UpstreamTiming): Promise<JsonOrStream<unknown>> {
    const raw = body as AnthropicMessagesRequest & { stream?: boolean };
    const { model, request } = splitModel(anthropicRequestToNeutral(raw));
    const call = await openMeteredCall(this.metering, { userId: p.userId, projectId: p.projectId, modelRef: model, source: 'gateway', request, timing });
    if (raw.stream !== true) {
      return { json: neutralToAnthropicResponse(await completeMetered(this.metering, call, request, signal), { model }) };
    }
    const encoder = new AnthropicStreamEncoder({ model });
    const events = streamMetered(this.metering, call, request, signal);
    return {
      stream: (async function* () {
        for await (const event of events) for (const e of encoder.push(event)) yield anthropicSseFrame(e);
      })(),
      errorFrame: (err) => {
        this.logStreamFailure(p, err);
        return anthropicSseErrorFrame('api_error', mapError(err).message);
      },
    };
  }

  private logStreamFailure(p: ProjectPrincipal, err: unknown): void {
    if (isCallFailure(err)) return;
    this.logger.error({ userId: p.userId, projectId: p.projectId, err: (err as Error).message }, 'gateway stream failed');
  }
}

function splitModel(request: ChatRequest): { model: string; request: Omit<ChatRequest, 'model'> } {
  const { model, ...rest } = request;
  return { model, request: rest };
}
