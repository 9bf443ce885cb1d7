import type { ProviderId } from './provider-ids';
import type { ChatRequest, ChatResult, ChatStreamEvent } from './wire/chat.model';

/** What every call to a provider carries besides its payload. */
export interface ProviderCallParams {
  /** Plaintext key for this call only; never logged, never part of an error message. */
  apiKey: string;
  /** Overrides the family's configured base URL (required for `custom`). */
  baseUrl?: string;
  /**
   * Sends this call's HTTP requests (OpenAI-compatible families): the caller's outbound policy for a base URL the
   * user chose. A CodedError it throws reaches the caller unchanged instead of becoming a ProviderError.
   */
  fetch?: typeof fetch;
  /** Aborting it (e.g. the client disconnected) aborts the upstream request. */
  signal?: AbortSignal;
}

/** The neutral request plus one call's credentials. */
export interface ChatParams extends ChatRequest, ProviderCallParams {
  /** Extra request headers for this call. */
  headers?: Record<string, string>;
}

export interface KeyCheckResult {
  /** True when the provider accepted the key. A rejected key is reported here, not thrown. */
  valid: boolean;
  /** Models the key can use, when the check listed them. */
  modelCount?: number;
}

export interface ModelInfo {
  /** `provider/model`, e.g. `anthropic/claude-sonnet-4`, `openrouter/openai/gpt-4o`. */
  id: string;
  provider: ProviderId;
  /** The provider's own id, as sent in a chat request. */
  model: string;
  name?: string;
  contextLength?: number;
  /** USD per million tokens, when the provider's list says (OpenRouter's does). */
  pricing?: { input: number; output: number; cache_read?: number; cache_write?: number };
}

/**
 * One interface for every provider family (ghostfolio's DataProviderInterface as the model): a params object
 * plus an AbortSignal in, neutral types out. Failures are thrown as {@link ProviderError}.
 */
export interface ChatProvider {
  readonly id: ProviderId;
  /** A cheap authenticated call (the model list). Resolves `{ valid: false }` for a rejected key. */
  checkKey(p: ProviderCallParams): Promise<KeyCheckResult>;
  listModels(p: ProviderCallParams): Promise<ModelInfo[]>;
  chat(p: ChatParams): Promise<ChatResult>;
  /** Breaking out of the loop (or aborting `signal`) aborts the upstream request. */
  streamChat(p: ChatParams): AsyncIterable<ChatStreamEvent>;
}
