/**
 * The subset of the Anthropic Messages wire format the codecs speak (text, tool use and tool results; no
 * images, documents or server tools). Field names are the wire's own.
 */

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export interface AnthropicImageBlock {
  type: 'image' | 'document';
  source: { type: 'base64'; media_type: string; data: string };
}

interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | (AnthropicTextBlock | AnthropicImageBlock)[];
  is_error?: boolean;
}

/** Reasoning blocks a client echoes back; the codec drops them (no other format can carry them). */
interface AnthropicThinkingBlock {
  type: 'thinking' | 'redacted_thinking';
}

export type AnthropicRequestBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicToolUseBlock | AnthropicToolResultBlock | AnthropicThinkingBlock;

export interface AnthropicMessageParam {
  /** `system`: a mid-conversation system message (a beta clients send; hoisted or kept, never refused). */
  role: 'user' | 'assistant' | 'system';
  content: string | AnthropicRequestBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export type AnthropicToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export interface AnthropicMessagesRequest {
  model: string;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  /** `{type: 'enabled', budget_tokens}`, `{type: 'adaptive'}` or `{type: 'disabled'}`. */
  thinking?: unknown;
  /** `{effort, format}`; only `effort` has a meaning for other families. */
  output_config?: unknown;
  /** Anthropic-only (context editing); forwarded to Anthropic, dropped elsewhere. */
  context_management?: unknown;
  max_tokens: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  metadata?: { user_id?: string };
  stream?: boolean;
}

export type AnthropicStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<AnthropicTextBlock | AnthropicToolUseBlock>;
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessage }
  | {
      type: 'content_block_start';
      index: number;
      content_block: AnthropicTextBlock | AnthropicToolUseBlock;
    }
  | {
      type: 'content_block_delta';
      index: number;
      delta: { type: 'text_delta'; text: string } | { type: 'input_json_delta'; partial_json: string };
    }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: AnthropicStopReason | null; stop_sequence: string | null };
      usage: { input_tokens?: number; output_tokens: number };
    }
  | { type: 'message_stop' };

/**
 * What the decoders read from a response or stream event: loose enough for the SDK's types (more block kinds,
 * nullable usage fields) and for any server speaking the format.
 */
interface AnthropicBlockLike {
  type: string;
  text?: unknown;
  id?: unknown;
  name?: unknown;
  input?: unknown;
}

export interface AnthropicUsageLike {
  input_tokens?: number | null;
  output_tokens?: number | null;
  /** Prompt tokens written to / read from the prompt cache; billed as input besides `input_tokens`. */
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface AnthropicMessageLike {
  id?: string | null;
  model?: string | null;
  content?: ReadonlyArray<AnthropicBlockLike> | null;
  stop_reason?: string | null;
  stop_sequence?: string | null;
  usage?: AnthropicUsageLike | null;
}

export interface AnthropicStreamEventLike {
  type: string;
  message?: AnthropicMessageLike;
  index?: number;
  content_block?: AnthropicBlockLike;
  delta?: { type?: string; text?: unknown; partial_json?: unknown; stop_reason?: string | null; stop_sequence?: string | null };
  usage?: AnthropicUsageLike | null;
  error?: unknown;
}
