import type { ChatParams, ChatProvider, KeyCheckResult, ModelInfo, ProviderCallParams } from './provider';
import { formatModelRef } from './model-ref';
import type { ProviderId } from './provider-ids';
import { callerFetchRefusal, ErrorContext, ProviderError, ProviderErrorCode } from './provider.errors';
import { AdapterOptions, DEFAULT_PROVIDER_TIMEOUT_MS } from './provider.settings';
import { callWithDeadline, RequestDeadline } from './request-deadline';
import type { ChatResult, ChatStreamEvent } from './wire/chat.model';
import type { StreamDecoder } from './wire/stream-decoder';

/** An opened upstream stream and the family decoder that reads it. */
export interface UpstreamStream<Chunk> {
  chunks: AsyncIterable<Chunk>;
  decoder: StreamDecoder<Chunk>;
}

/** SDK clients kept per provider: building one costs more than a small call through it. */
const CLIENT_CACHE_MAX = 256;
/** A client is rebuilt after this long, and one no call asks for is dropped, so old keys leave memory. */
const CLIENT_CACHE_TTL_MS = 5 * 60_000;
/** Calls without a fetch of their own share this slot of the per-fetch cache. */
const DEFAULT_FETCH = {};

/**
 * What every SDK-backed adapter shares: the per-call deadline, error conversion, the key check's reading of a
 * rejected key, and the deadline-aware stream loop. A subclass supplies its SDK client, its error mapper and
 * the SDK calls themselves.
 */
export abstract class SdkProvider<Client, Chunk> implements ChatProvider {
  abstract readonly id: ProviderId;
  protected readonly timeoutMs: number;
  /** fetch → "baseUrl key" → client. A fetch (the outbound policy's) is part of what a client is. */
  private readonly clients = new WeakMap<object, Map<string, { client: Client; until: number }>>();

  constructor(protected readonly options: AdapterOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  }

  abstract listModels(p: ProviderCallParams): Promise<ModelInfo[]>;
  abstract chat(p: ChatParams): Promise<ChatResult>;

  /** A new client for a key (the SDK must not read one from the environment); callers use {@link clientFor}. */
  protected abstract client(p: ProviderCallParams): Client;
  protected abstract mapError(error: unknown, ctx: ErrorContext): ProviderError;
  /** The family's cheap authenticated call; resolves when the key was accepted. */
  protected abstract probeKey(p: ProviderCallParams): Promise<KeyCheckResult>;
  /** Starts the streaming request with the deadline's signal. */
  protected abstract openStream(client: Client, p: ChatParams, signal: AbortSignal): Promise<UpstreamStream<Chunk>>;

  /** A rejected key is a result; everything else (rate limits, outages) still throws. */
  async checkKey(p: ProviderCallParams): Promise<KeyCheckResult> {
    try {
      return await this.probeKey(p);
    } catch (error) {
      if (error instanceof ProviderError && error.code === ProviderErrorCode.INVALID_KEY) return { valid: false };
      throw error;
    }
  }

  async *streamChat(p: ChatParams): AsyncGenerator<ChatStreamEvent> {
    const deadline = new RequestDeadline(this.timeoutMs, p.signal);
    let completed = false;
    try {
      const { chunks, decoder } = await this.openStream(this.clientFor(p), p, deadline.signal);
      deadline.refresh();
      for await (const chunk of chunks) {
        deadline.pause();
        yield* decoder.push(chunk);
        deadline.refresh();
      }
      // The SDKs end the iteration quietly when their signal fires mid-stream.
      if (deadline.signal.aborted) throw new Error('stream aborted');
      yield* decoder.end();
      completed = true;
    } catch (error) {
      throw this.convert(error, { ...this.context(p, 'chat', p.model), timedOut: deadline.timedOut });
    } finally {
      // The consumer stopped early (break, or its own failure): abort upstream.
      if (!completed) deadline.cancel();
      deadline.dispose();
    }
  }

  /**
   * A stream in the upstream's own event format (the gateway's pass-through), under the same per-chunk
   * deadline and error conversion as {@link streamChat}.
   */
  protected async *streamRaw<T>(
    p: ProviderCallParams,
    model: string,
    open: (client: Client, signal: AbortSignal) => Promise<AsyncIterable<T>>,
  ): AsyncGenerator<T> {
    const deadline = new RequestDeadline(this.timeoutMs, p.signal);
    let completed = false;
    try {
      const events = await open(this.clientFor(p), deadline.signal);
      deadline.refresh();
      for await (const event of events) {
        deadline.pause();
        yield event;
        deadline.refresh();
      }
      if (deadline.signal.aborted) throw new Error('stream aborted');
      completed = true;
    } catch (error) {
      throw this.convert(error, { ...this.context(p, 'chat', model), timedOut: deadline.timedOut });
    } finally {
      if (!completed) deadline.cancel();
      deadline.dispose();
    }
  }

  /**
   * The client for this call's key, base URL and fetch, built once and reused for a while (clients hold no
   * per-call state: signals and headers are per request). Bounded in count and age.
   */
  protected clientFor(p: ProviderCallParams): Client {
    let byKey = this.clients.get(p.fetch ?? DEFAULT_FETCH);
    if (!byKey) {
      byKey = new Map();
      this.clients.set(p.fetch ?? DEFAULT_FETCH, byKey);
    }
    const now = Date.now();
    // Entries are in creation order, so expired ones are at the front: a key no longer served (deleted,
    // rotated) leaves memory with the next call through this provider after its TTL.
    for (const [key, entry] of byKey) {
      if (entry.until > now) break;
      byKey.delete(key);
    }
    const cacheKey = `${p.baseUrl ?? ''}\n${p.apiKey}`;
    const hit = byKey.get(cacheKey);
    if (hit) return hit.client;
    const client = this.client(p);
    if (byKey.size >= CLIENT_CACHE_MAX) byKey.delete(byKey.keys().next().value as string);
    byKey.set(cacheKey, { client, until: now + CLIENT_CACHE_TTL_MS });
    return client;
  }

  /** A refusal by the caller's fetch (the outbound policy) reaches the caller as is; the rest maps to ProviderError. */
  private convert(error: unknown, ctx: ErrorContext): Error {
    return callerFetchRefusal(error) ?? this.mapError(error, ctx);
  }

  /** One non-streaming call under the deadline, its failures converted by {@link mapError}. */
  protected call<T>(
    p: ProviderCallParams,
    operation: ErrorContext['operation'],
    model: string | undefined,
    fn: (client: Client, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return callWithDeadline(
      {
        timeoutMs: this.timeoutMs,
        signal: p.signal,
        client: () => this.clientFor(p),
        context: this.context(p, operation, model),
        mapError: (error, ctx) => this.convert(error, ctx),
      },
      fn,
    );
  }

  /** One entry of the model list, with the optional fields only when the provider gave them. */
  protected modelInfo(model: string, name: string | null | undefined, contextLength: unknown): ModelInfo {
    const info: ModelInfo = { id: formatModelRef(this.id, model), provider: this.id, model };
    if (name) info.name = name;
    if (typeof contextLength === 'number') info.contextLength = contextLength;
    return info;
  }

  /** The call's base URL, else the family's configured one. */
  protected baseUrl(p: ProviderCallParams): string | undefined {
    return p.baseUrl ?? this.options.baseUrl;
  }

  private context(p: ProviderCallParams, operation: ErrorContext['operation'], model?: string): ErrorContext {
    return { provider: this.id, apiKey: p.apiKey, operation, model, signal: p.signal };
  }
}
