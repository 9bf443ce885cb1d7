import Anthropic from '@anthropic-ai/sdk';
import type {
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages';
import { anthropicResponseToNeutral, AnthropicStreamDecoder, neutralToAnthropicRequest } from './gateway/anthropic.format';
import type { AnthropicMessagesRequest } from './gateway/anthropic.types';
import type {
  ChatParams,
  ChatProvider,
  ChatResult,
  ChatStreamEvent,
  KeyCheckResult,
  ModelInfo,
  ProviderCallParams,
} from './provider';
import {
  abortedError,
  ErrorContext,
  httpFailureToProviderError,
  isAbortLike,
  parseRetryAfter,
  preMapError,
  ProviderError,
  ProviderErrorCode,
  sanitizeUpstreamMessage,
  timeoutError,
  unreachableError,
} from './provider.errors';
import { AdapterOptions, DEFAULT_PROVIDER_TIMEOUT_MS } from './provider.settings';
import { callWithDeadline, RequestDeadline } from './request-deadline';

/** Anthropic's Messages API through `@anthropic-ai/sdk`. */
export class AnthropicProvider implements ChatProvider {
  readonly id = 'anthropic' as const;
  private readonly timeoutMs: number;

  constructor(private readonly options: AdapterOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  }

  async checkKey(p: ProviderCallParams): Promise<KeyCheckResult> {
    try {
      await this.call(p, 'models', undefined, (client, signal) => client.models.list({ limit: 1 }, { signal }));
      return { valid: true };
    } catch (error) {
      if (error instanceof ProviderError && error.code === ProviderErrorCode.INVALID_KEY) return { valid: false };
      throw error;
    }
  }

  listModels(p: ProviderCallParams): Promise<ModelInfo[]> {
    return this.call(p, 'models', undefined, async (client, signal) => {
      const models: ModelInfo[] = [];
      for await (const model of client.models.list({ limit: 1000 }, { signal })) {
        if ((model.lifecycle as string | undefined) === 'retired') continue;
        const info: ModelInfo = { id: `anthropic/${model.id}`, provider: 'anthropic', model: model.id };
        if (model.display_name) info.name = model.display_name;
        if (typeof model.max_input_tokens === 'number') info.contextLength = model.max_input_tokens;
        models.push(info);
      }
      return models;
    });
  }

  chat(p: ChatParams): Promise<ChatResult> {
    return this.call(p, 'chat', p.model, async (client, signal) => {
      const body = this.requestBody(p, false) as MessageCreateParamsNonStreaming;
      const message = await client.messages.create(body, { signal, headers: p.headers });
      return anthropicResponseToNeutral(message);
    });
  }

  async *streamChat(p: ChatParams): AsyncGenerator<ChatStreamEvent> {
    const deadline = new RequestDeadline(this.timeoutMs, p.signal);
    let completed = false;
    try {
      const client = this.client(p);
      const body = this.requestBody(p, true) as MessageCreateParamsStreaming;
      const stream = await client.messages.create(body, { signal: deadline.signal, headers: p.headers });
      const decoder = new AnthropicStreamDecoder();
      deadline.refresh();
      for await (const event of stream as AsyncIterable<RawMessageStreamEvent>) {
        deadline.pause();
        yield* decoder.push(event);
        deadline.refresh();
      }
      // The SDK ends the iteration quietly when its signal fires mid-stream.
      if (deadline.signal.aborted) throw new Error('stream aborted');
      yield* decoder.end();
      completed = true;
    } catch (error) {
      throw mapAnthropicError(error, { ...this.context(p, 'chat', p.model), timedOut: deadline.timedOut });
    } finally {
      if (!completed) deadline.cancel();
      deadline.dispose();
    }
  }

  requestBody(p: ChatParams, stream: boolean): AnthropicMessagesRequest {
    return neutralToAnthropicRequest(p, { stream });
  }

  private client(p: ProviderCallParams): Anthropic {
    const baseURL = p.baseUrl ?? this.options.baseUrl;
    return new Anthropic({
      // Passing the key keeps the SDK from reading ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN or a profile.
      apiKey: p.apiKey,
      ...(baseURL ? { baseURL } : {}),
      maxRetries: 0,
      timeout: this.timeoutMs,
      defaultHeaders: this.options.headers,
      webhookKey: null,
      logLevel: 'off',
    });
  }

  private context(p: ProviderCallParams, operation: ErrorContext['operation'], model?: string): ErrorContext {
    return { provider: this.id, apiKey: p.apiKey, operation, model, signal: p.signal };
  }

  private call<T>(
    p: ProviderCallParams,
    operation: ErrorContext['operation'],
    model: string | undefined,
    fn: (client: Anthropic, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return callWithDeadline(
      { timeoutMs: this.timeoutMs, signal: p.signal, client: () => this.client(p), context: this.context(p, operation, model), mapError: mapAnthropicError },
      fn,
    );
  }
}

/** Anthropic's error `type`s, for errors that arrive inside a 200 stream (no HTTP status). */
const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
  timeout_error: 408,
};

function errorTypeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { type, error } = body as { type?: unknown; error?: unknown };
  if (type === 'error') return errorTypeOf(error);
  return typeof type === 'string' ? type : undefined;
}

/** The Anthropic SDK's error classes → ProviderError. Exported for the error-mapping spec. */
export function mapAnthropicError(error: unknown, ctx: ErrorContext): ProviderError {
  const pre = preMapError(error, ctx);
  if (pre) return pre;
  if (error instanceof Anthropic.APIUserAbortError) return abortedError(ctx);
  if (error instanceof Anthropic.APIConnectionTimeoutError) return timeoutError(ctx);
  if (error instanceof Anthropic.APIConnectionError) return unreachableError(ctx);
  if (error instanceof Anthropic.APIError) {
    const type = error.type ?? errorTypeOf(error.error);
    const status = error.status ?? (type ? STATUS_OF_ERROR_TYPE[type] : undefined);
    if (status === undefined) {
      const detail = sanitizeUpstreamMessage(error.apiMessage, [ctx.apiKey]);
      return new ProviderError(
        ProviderErrorCode.UPSTREAM_ERROR,
        ctx.provider,
        detail ? `${ctx.provider} reported an error: ${detail}` : `${ctx.provider} reported an error`,
      );
    }
    return httpFailureToProviderError(
      { status, upstreamMessage: error.apiMessage ?? undefined, retryAfterSeconds: parseRetryAfter(error.headers) },
      ctx,
    );
  }
  if (isAbortLike(error)) return abortedError(ctx);
  if (error instanceof SyntaxError) {
    return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, ctx.provider, `${ctx.provider} sent an unreadable response`);
  }
  return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, ctx.provider, `request to ${ctx.provider} failed`);
}
