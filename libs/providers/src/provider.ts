import type { ProviderId } from './provider-ids';

/**
 * The neutral chat model every provider family is converted to and from. Nothing here names an SDK type:
 * each adapter converts at its own edge, and the gateway translates the public wire formats through it.
 */

/** A tool call the model asked for. `arguments` is the raw JSON text, exactly as the model produced it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
  /**
   * Opaque provider token that must accompany the call when it is sent back in the history (Gemini's thought
   * signature). Formats that cannot carry it drop it.
   */
  signature?: string;
}

export interface SystemMessage {
  role: 'system';
  content: string;
}

export interface UserMessage {
  role: 'user';
  content: string;
}

export interface AssistantMessage {
  role: 'assistant';
  /** May be empty when the turn only calls tools. */
  content: string;
  toolCalls?: ToolCall[];
}

/** The result of one tool call, answering the assistant message that carried `toolCallId`. */
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: string;
  /** The tool's name; adapters that need it (Gemini) fall back to the matching earlier tool call. */
  name?: string;
  isError?: boolean;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;
export type ChatRole = ChatMessage['role'];

/** A function the model may call; `parameters` is a JSON Schema object describing its arguments. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

/** `required` = the model must call some tool; `{ name }` = that tool. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * Sampling parameters, named as users store them (OpenRouter style). Adapters drop what their provider
 * does not accept (e.g. Anthropic has no seed or penalties) and clamp to its ranges.
 */
export interface ModelParameters {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  top_k?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  repetition_penalty?: number;
  seed?: number;
  stop?: string[];
}

/** A chat request without credentials: what the gateway formats translate to and from. */
export interface ChatRequest {
  /** The provider's own model id (no `provider/` prefix, except OpenRouter's `vendor/model`). */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parameters: ModelParameters;
  /** End-user id passed upstream for abuse tracking (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
}

export interface ChatParams extends ChatRequest {
  /** Plaintext key for this call only; never logged, never part of an error message. */
  apiKey: string;
  /** Overrides the family's configured base URL (required for `custom`). */
  baseUrl?: string;
  /** See {@link ProviderCallParams.fetch}. */
  fetch?: typeof fetch;
  /** Aborting it (e.g. the client disconnected) aborts the upstream request. */
  signal?: AbortSignal;
  /** Extra request headers for this call. */
  headers?: Record<string, string>;
}

/** `error` = the provider stopped for a reason that is not a normal end (content filter, refusal, …). */
export type StopReason = 'end' | 'length' | 'tool_calls' | 'error';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResult {
  /** Upstream response id when the provider gives one. */
  id?: string;
  text: string;
  toolCalls: ToolCall[];
  stopReason: StopReason;
  /** The stop sequence that ended the turn, when the provider reports it (Anthropic). */
  stopSequence?: string | null;
  usage: Usage;
  /** The model that answered, as the provider names it. */
  model: string;
}

/**
 * Stream events, in order: one `start`, then text and tool-call deltas, then exactly one `finish`.
 * Tool calls are numbered 0, 1, … in the order they start; a call's `tool_call_start` precedes its deltas.
 */
export type ChatStreamEvent =
  | { type: 'start'; id?: string; model: string; promptTokens?: number }
  | { type: 'text_delta'; text: string }
  | { type: 'tool_call_start'; index: number; id: string; name: string; signature?: string }
  | { type: 'tool_call_delta'; index: number; arguments: string }
  | { type: 'finish'; stopReason: StopReason; stopSequence?: string | null; usage: Usage; model: string };

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
}

export interface ProviderCallParams {
  apiKey: string;
  baseUrl?: string;
  /**
   * Sends this call's HTTP requests (OpenAI-compatible families): the caller's outbound policy for a base URL the
   * user chose. A CodedError it throws reaches the caller unchanged instead of becoming a ProviderError.
   */
  fetch?: typeof fetch;
  signal?: AbortSignal;
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
