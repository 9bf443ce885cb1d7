/**
 * The neutral chat model every wire family is converted to and from. Nothing here names an SDK type: each
 * family's codec converts at its own edge, and the LLM proxy translates the public wire formats through it.
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

interface SystemMessage {
  role: 'system';
  content: string;
}

interface UserMessage {
  role: 'user';
  content: string;
  /** Images and documents (PDF) the user attached, after the text. */
  images?: ImageContent[];
}

export interface AssistantMessage {
  role: 'assistant';
  /** May be empty when the turn only calls tools. */
  content: string;
  toolCalls?: ToolCall[];
}

/**
 * An image a tool returned (a screenshot) or a user attached, base64 without a data: prefix. `application/pdf`
 * stands for a document; formats that take files carry it as one, the others as inline data.
 */
export interface ImageContent {
  mimeType: string;
  data: string;
}

/** The result of one tool call, answering the assistant message that carried `toolCallId`. */
interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: string;
  /** Images beside the text; formats whose tool results cannot hold images carry them in a user turn after. */
  images?: ImageContent[];
  /** The tool's name; adapters that need it (Gemini) fall back to the matching earlier tool call. */
  name?: string;
  isError?: boolean;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

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

/** A chat request without credentials: what the wire formats translate to and from. */
export interface ChatRequest {
  /** The provider's own model id (no `provider/` prefix, except OpenRouter's `vendor/model`). */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parameters: ModelParameters;
  /** End-user id passed upstream for abuse tracking (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
  /** The client asked the model to think first (Anthropic `thinking`, OpenAI `reasoning_effort`). */
  reasoning?: Reasoning;
  /** false: at most one tool call per turn (Anthropic `disable_parallel_tool_use`, OpenAI `parallel_tool_calls`). */
  parallelToolCalls?: boolean;
}

/** How much thinking a request asks for: a token budget, an effort level, or `adaptive` (the model decides). */
export interface Reasoning {
  budgetTokens?: number;
  effort?: 'minimal' | 'low' | 'medium' | 'high' | 'max' | 'adaptive';
}

/** `error` = the provider stopped for a reason that is not a normal end (content filter, refusal, …). */
export type StopReason = 'end' | 'length' | 'tool_calls' | 'error';

export interface Usage {
  /** Every prompt token, cache reads and writes included. */
  promptTokens: number;
  /** Every output token, reasoning included. */
  completionTokens: number;
  /** Of the completion, tokens spent thinking (when the provider reports them). */
  reasoningTokens?: number;
  /** Of the prompt, tokens read from / written to the provider's prompt cache. */
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
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
