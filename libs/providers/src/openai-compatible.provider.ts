import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { isRecord } from './gateway/format.util';
import { neutralToOpenAIRequest, openAIResponseToNeutral, OpenAIStreamDecoder } from './gateway/openai.format';
import type { OpenAIChatRequest } from './gateway/openai.types';
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
  callerFetchRefusal,
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

/** The families that speak the OpenAI Chat Completions wire format. */
export const OPENAI_COMPATIBLE_IDS = ['openai', 'openrouter', 'together', 'xai', 'custom'] as const;
export type OpenAICompatibleId = (typeof OPENAI_COMPATIBLE_IDS)[number];

/** Parameters the official OpenAI API rejects as unknown; OpenRouter, Together and most servers accept them. */
const NON_OPENAI_PARAMETERS = ['top_k', 'repetition_penalty'] as const;

/**
 * One adapter for every OpenAI-compatible family; they differ only in base URL, headers and which
 * non-standard parameters the server accepts.
 */
export class OpenAICompatibleProvider implements ChatProvider {
  private readonly timeoutMs: number;

  constructor(
    readonly id: OpenAICompatibleId,
    private readonly options: AdapterOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  }

  async checkKey(p: ProviderCallParams): Promise<KeyCheckResult> {
    // OpenRouter serves its model list without authentication; its key endpoint checks the key.
    if (this.id === 'openrouter') {
      return this.call(p, 'models', undefined, async (client, signal) => {
        await client.get('/key', { signal });
        return { valid: true };
      }).catch(keyRejected);
    }
    return this.listModels(p).then((models) => ({ valid: true, modelCount: models.length }), keyRejected);
  }

  listModels(p: ProviderCallParams): Promise<ModelInfo[]> {
    return this.call(p, 'models', undefined, async (client, signal) => {
      // Read raw rather than through client.models.list(): Together answers with a bare array, which the SDK's
      // page class would read as an empty list.
      const body = await client.get<unknown>('/models', { signal });
      const entries: unknown[] = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.data) ? body.data : [];
      const models: ModelInfo[] = [];
      for (const entry of entries) {
        if (!isRecord(entry) || typeof entry.id !== 'string' || !entry.id) continue;
        // OpenRouter and Together add a display name and context length to OpenAI's model object.
        const name = typeof entry.name === 'string' ? entry.name : typeof entry.display_name === 'string' ? entry.display_name : undefined;
        const info: ModelInfo = { id: `${this.id}/${entry.id}`, provider: this.id, model: entry.id };
        if (name) info.name = name;
        if (typeof entry.context_length === 'number') info.contextLength = entry.context_length;
        models.push(info);
      }
      return models;
    });
  }

  chat(p: ChatParams): Promise<ChatResult> {
    return this.call(p, 'chat', p.model, async (client, signal) => {
      const body = this.requestBody(p, false) as ChatCompletionCreateParamsNonStreaming;
      const response = await client.chat.completions.create(body, { signal, headers: p.headers });
      return openAIResponseToNeutral(response);
    });
  }

  async *streamChat(p: ChatParams): AsyncGenerator<ChatStreamEvent> {
    const deadline = new RequestDeadline(this.timeoutMs, p.signal);
    const ctx = this.context(p, 'chat', p.model);
    let completed = false;
    try {
      const client = this.client(p);
      const body = this.requestBody(p, true) as ChatCompletionCreateParamsStreaming;
      const stream = await client.chat.completions.create(body, { signal: deadline.signal, headers: p.headers });
      const decoder = new OpenAIStreamDecoder();
      deadline.refresh();
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        deadline.pause();
        yield* decoder.push(chunk);
        deadline.refresh();
      }
      // The SDK ends the iteration quietly when its signal fires mid-stream.
      if (deadline.signal.aborted) throw new Error('stream aborted');
      yield* decoder.end();
      completed = true;
    } catch (error) {
      throw mapCallError(error, { ...ctx, timedOut: deadline.timedOut });
    } finally {
      // The consumer stopped early (break, or its own failure): abort upstream.
      if (!completed) deadline.cancel();
      deadline.dispose();
    }
  }

  /** The neutral request as this family's server accepts it. */
  requestBody(p: ChatParams, stream: boolean): OpenAIChatRequest {
    const body = neutralToOpenAIRequest(p, { stream });
    if (this.id === 'openai' || this.id === 'xai') {
      for (const key of NON_OPENAI_PARAMETERS) delete body[key];
    }
    if (this.id === 'openai' && body.max_tokens != null) {
      // OpenAI's reasoning models reject max_tokens; max_completion_tokens works for every current model.
      body.max_completion_tokens = body.max_tokens;
      delete body.max_tokens;
    }
    return body;
  }

  private client(p: ProviderCallParams): OpenAI {
    const baseURL = p.baseUrl ?? this.options.baseUrl;
    if (!baseURL) {
      throw new ProviderError(ProviderErrorCode.BAD_REQUEST, this.id, `${this.id} needs a base URL`);
    }
    return new OpenAI({
      apiKey: p.apiKey,
      baseURL,
      // Retries are the caller's decision; a retried call would also double its time budget.
      maxRetries: 0,
      timeout: this.timeoutMs,
      defaultHeaders: this.options.headers,
      // Explicit values, so the SDK does not pick up OPENAI_* variables from the environment.
      organization: null,
      project: null,
      webhookSecret: null,
      // The SDK would log unparseable chunks verbatim.
      logLevel: 'off',
      fetch: p.fetch,
    });
  }

  private context(p: ProviderCallParams, operation: ErrorContext['operation'], model?: string): ErrorContext {
    return { provider: this.id, apiKey: p.apiKey, operation, model, signal: p.signal };
  }

  private call<T>(
    p: ProviderCallParams,
    operation: ErrorContext['operation'],
    model: string | undefined,
    fn: (client: OpenAI, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return callWithDeadline(
      { timeoutMs: this.timeoutMs, signal: p.signal, client: () => this.client(p), context: this.context(p, operation, model), mapError: mapCallError },
      fn,
    );
  }
}

/** checkKey reports a rejected key as a result; everything else (rate limits, outages) still throws. */
function keyRejected(error: unknown): KeyCheckResult {
  if (error instanceof ProviderError && error.code === ProviderErrorCode.INVALID_KEY) return { valid: false };
  throw error;
}

function upstreamMessageOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && body !== null) {
    const { message, error } = body as { message?: unknown; error?: unknown };
    if (typeof message === 'string') return message;
    if (error !== undefined) return upstreamMessageOf(error);
  }
  return undefined;
}

/** OpenRouter puts the upstream status in the `code` of an error it sends inside a 200 stream. */
function statusOfStreamError(body: unknown): number | undefined {
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : undefined;
}

/** A refusal by the caller's fetch (the outbound policy) reaches the caller as is; the rest maps to ProviderError. */
function mapCallError(error: unknown, ctx: ErrorContext): Error {
  return callerFetchRefusal(error) ?? mapOpenAIError(error, ctx);
}

/** The OpenAI SDK's error classes → ProviderError. Exported for the error-mapping spec. */
export function mapOpenAIError(error: unknown, ctx: ErrorContext): ProviderError {
  const pre = preMapError(error, ctx);
  if (pre) return pre;
  if (error instanceof OpenAI.APIUserAbortError) return abortedError(ctx);
  if (error instanceof OpenAI.APIConnectionTimeoutError) return timeoutError(ctx);
  if (error instanceof OpenAI.APIConnectionError) return unreachableError(ctx);
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? statusOfStreamError(error.error);
    if (status === undefined) {
      const detail = sanitizeUpstreamMessage(upstreamMessageOf(error.error), [ctx.apiKey]);
      return new ProviderError(
        ProviderErrorCode.UPSTREAM_ERROR,
        ctx.provider,
        detail ? `${ctx.provider} reported an error: ${detail}` : `${ctx.provider} reported an error`,
      );
    }
    return httpFailureToProviderError(
      { status, upstreamMessage: upstreamMessageOf(error.error), retryAfterSeconds: parseRetryAfter(error.headers) },
      ctx,
    );
  }
  if (isAbortLike(error)) return abortedError(ctx);
  if (error instanceof SyntaxError) {
    return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, ctx.provider, `${ctx.provider} sent an unreadable response`);
  }
  return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, ctx.provider, `request to ${ctx.provider} failed`);
}
