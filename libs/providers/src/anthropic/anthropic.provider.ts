import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { ChatParams, KeyCheckResult, ModelInfo, ProviderCallParams } from '../provider';
import type { ErrorContext, ProviderError } from '../provider.errors';
import { SdkProvider, UpstreamStream } from '../sdk-provider.base';
import type { ChatResult } from '../wire/chat.model';
import { anthropicResponseToNeutral, AnthropicStreamDecoder, neutralToAnthropicRequest } from './anthropic.codec';
import { mapAnthropicError } from './anthropic.errors';
import type { Stream } from '@anthropic-ai/sdk/core/streaming';
import type { AnthropicMessageLike, AnthropicStreamEventLike } from './anthropic.types';

/** A client's Anthropic request forwarded as it is (the gateway's pass-through). */
export interface AnthropicForwardParams extends ProviderCallParams {
  /** Anthropic's own model id, replacing the client's. */
  model: string;
  /** The client's body, unchanged but for `model` (and `stream`, which the call decides). */
  body: Record<string, unknown>;
  /** The client's `anthropic-version` and `anthropic-beta`; nothing else of its headers is forwarded. */
  headers?: Record<string, string>;
  /** The client's query (`beta=true`). */
  query?: Record<string, string>;
}

/** An Anthropic message as the upstream sent it: read for usage, forwarded whole. */
export type AnthropicForwardedMessage = AnthropicMessageLike & Record<string, unknown>;
/** One stream event as the upstream sent it: read for usage, forwarded whole. */
export type AnthropicForwardedEvent = AnthropicStreamEventLike & Record<string, unknown>;

function forwardOptions(p: AnthropicForwardParams): { headers?: Record<string, string>; query?: Record<string, string> } {
  return { headers: p.headers, query: p.query };
}

/** Anthropic's Messages API through `@anthropic-ai/sdk`. */
export class AnthropicProvider extends SdkProvider<Anthropic, AnthropicStreamEventLike> {
  override readonly id = 'anthropic' as const;

  listModels(p: ProviderCallParams): Promise<ModelInfo[]> {
    return this.call(p, 'models', undefined, async (client, signal) => {
      const models: ModelInfo[] = [];
      for await (const model of client.models.list({ limit: 1000 }, { signal })) {
        if ((model.lifecycle as string | undefined) === 'retired') continue;
        models.push(this.modelInfo(model.id, model.display_name, model.max_input_tokens));
      }
      return models;
    });
  }

  chat(p: ChatParams): Promise<ChatResult> {
    return this.call(p, 'chat', p.model, async (client, signal) => {
      const body = neutralToAnthropicRequest(p) as MessageCreateParamsNonStreaming;
      const message = await client.messages.create(body, { signal, headers: p.headers });
      return anthropicResponseToNeutral(message);
    });
  }

  /**
   * The gateway's pass-through: the client's Messages body sent as it is, only `model` replaced, so thinking
   * signatures, cache_control, betas and fields this codebase has never heard of reach Anthropic unchanged.
   */
  forwardMessages(p: AnthropicForwardParams): Promise<AnthropicForwardedMessage> {
    return this.call(p, 'chat', p.model, (client, signal) =>
      client.post<AnthropicForwardedMessage>('/v1/messages', { ...forwardOptions(p), body: { ...p.body, model: p.model, stream: false }, signal }),
    );
  }

  /** {@link forwardMessages}, streaming: Anthropic's events as it sent them (pings left out). */
  streamForwardMessages(p: AnthropicForwardParams): AsyncGenerator<AnthropicForwardedEvent> {
    return this.streamRaw(p, p.model, async (client, signal) =>
      (await client.post<Stream<AnthropicForwardedEvent>>('/v1/messages', {
        ...forwardOptions(p),
        body: { ...p.body, model: p.model, stream: true },
        stream: true,
        signal,
      })) as unknown as AsyncIterable<AnthropicForwardedEvent>,
    );
  }

  /** `POST /v1/messages/count_tokens`, passed through like {@link forwardMessages}. */
  countTokens(p: AnthropicForwardParams): Promise<{ input_tokens: number }> {
    return this.call(p, 'chat', p.model, (client, signal) =>
      client.post<{ input_tokens: number }>('/v1/messages/count_tokens', { ...forwardOptions(p), body: { ...p.body, model: p.model }, signal }),
    );
  }

  protected probeKey(p: ProviderCallParams): Promise<KeyCheckResult> {
    return this.call(p, 'models', undefined, async (client, signal) => {
      await client.models.list({ limit: 1 }, { signal });
      return { valid: true };
    });
  }

  protected async openStream(client: Anthropic, p: ChatParams, signal: AbortSignal): Promise<UpstreamStream<AnthropicStreamEventLike>> {
    const body = neutralToAnthropicRequest(p, { stream: true }) as MessageCreateParamsStreaming;
    const chunks = await client.messages.create(body, { signal, headers: p.headers });
    return { chunks, decoder: new AnthropicStreamDecoder() };
  }

  protected mapError(error: unknown, ctx: ErrorContext): ProviderError {
    return mapAnthropicError(error, ctx);
  }

  protected client(p: ProviderCallParams): Anthropic {
    const baseURL = this.baseUrl(p);
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
}
