import { DEFAULT_PROVIDER, PROVIDER_IDS, ProviderId } from './provider-ids';
import { ProviderError, ProviderErrorCode } from './provider.errors';

interface ModelRef {
  provider: ProviderId;
  /** The provider's own model id, as sent upstream. */
  model: string;
}

function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

/**
 * `provider/model` → `{ provider, model }`. The model is everything after the first slash, so OpenRouter's and
 * Together's own `vendor/model` ids survive (`openrouter/openai/gpt-4o` → openrouter + `openai/gpt-4o`).
 * A ref whose first segment is not a provider id is a bare model id of `defaultProvider` (OpenRouter): both
 * `gpt-4o` and `meta-llama/llama-3-70b` go to OpenRouter unchanged.
 */
export function parseModelRef(ref: string, defaultProvider: ProviderId = DEFAULT_PROVIDER): ModelRef {
  const trimmed = ref.trim();
  const slash = trimmed.indexOf('/');
  const head = slash === -1 ? '' : trimmed.slice(0, slash);
  const { provider, model } = isProviderId(head)
    ? { provider: head, model: trimmed.slice(slash + 1) }
    : { provider: defaultProvider, model: trimmed };
  if (!model) {
    throw new ProviderError(ProviderErrorCode.BAD_REQUEST, provider, `model reference ${JSON.stringify(ref)} names no model`);
  }
  return { provider, model };
}

/** The inverse of {@link parseModelRef}: `anthropic` + `claude-sonnet-4` → `anthropic/claude-sonnet-4`. */
export function formatModelRef(provider: ProviderId, model: string): string {
  return `${provider}/${model}`;
}
