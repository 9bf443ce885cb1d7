import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { ChatParams, KeyCheckResult, ModelInfo, ProviderCallParams } from '../provider';
import type { ErrorContext, ProviderError } from '../provider.errors';
import { SdkProvider, UpstreamStream } from '../sdk-provider.base';
import type { ChatResult } from '../wire/chat.model';
import { anthropicResponseToNeutral, AnthropicStreamDecoder, neutralToAnthropicRequest } from './anthropic.codec';
import { mapAnthropicError } from './anthropic.errors';
import type { AnthropicStreamEventLike } from './anthropic.types';

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
