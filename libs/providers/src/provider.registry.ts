import { Inject, Injectable } from '@nestjs/common';
import { AnthropicProvider } from './anthropic/anthropic.provider';
import { GoogleProvider } from './google/google.provider';
import { parseModelRef } from './model-ref';
import { OPENAI_COMPATIBLE_IDS, OpenAICompatibleProvider } from './openai/openai-compatible.provider';
import type { ChatProvider } from './provider';
import type { ProviderId } from './provider-ids';
import { openRouterHeaders, ProviderSettings } from './provider.settings';

/** Injection token for {@link ProviderSettings}. */
export const PROVIDER_SETTINGS = Symbol('PROVIDER_SETTINGS');

/** The adapter for each provider family, built once from the settings (adapters hold no per-user state). */
@Injectable()
export class ProviderRegistry {
  private readonly providers = new Map<ProviderId, ChatProvider>();

  constructor(@Inject(PROVIDER_SETTINGS) settings: ProviderSettings) {
    const { baseUrls, timeoutMs } = settings;
    for (const id of OPENAI_COMPATIBLE_IDS) {
      this.providers.set(
        id,
        new OpenAICompatibleProvider(id, {
          baseUrl: id === 'custom' ? undefined : baseUrls[id],
          timeoutMs,
          headers: id === 'openrouter' ? openRouterHeaders(settings.openRouter) : undefined,
        }),
      );
    }
    this.providers.set('anthropic', new AnthropicProvider({ baseUrl: baseUrls.anthropic, timeoutMs }));
    this.providers.set('google', new GoogleProvider({ baseUrl: baseUrls.google, timeoutMs }));
  }

  get(id: ProviderId): ChatProvider {
    const provider = this.providers.get(id);
    // Unreachable while PROVIDER_IDS and the constructor agree; a guard against an unchecked cast upstream.
    if (!provider) throw new Error(`no adapter for provider ${String(id)}`);
    return provider;
  }

  /** `anthropic/claude-sonnet-4` → the Anthropic adapter and `claude-sonnet-4`. */
  resolve(ref: string): { provider: ChatProvider; model: string } {
    const { provider, model } = parseModelRef(ref);
    return { provider: this.get(provider), model };
  }
}
