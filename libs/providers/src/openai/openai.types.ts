/**
 * The subset of the OpenAI Chat Completions wire format the codecs speak (text and function tools; no
 * images, audio or legacy `functions`). Field names are the wire's own.
 */

interface OpenAITextPart {
  type: 'text';
  text: string;
}

interface OpenAIImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface OpenAIFilePart {
  type: 'file';
  file: { filename?: string; file_data?: string; file_id?: string };
}

export type OpenAIMessage =
  | { role: 'system' | 'developer'; content: string | OpenAITextPart[]; name?: string }
  | { role: 'user'; content: string | (OpenAITextPart | OpenAIImagePart | OpenAIFilePart)[]; name?: string }
  | {
      role: 'assistant';
      content?: string | OpenAITextPart[] | null;
      tool_calls?: OpenAIToolCall[];
      refusal?: string | null;
      name?: string;
    }
  | { role: 'tool'; tool_call_id: string; content: string | OpenAITextPart[] };

export interface OpenAITool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
}

export type OpenAIToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { type: 'function'; function: { name: string } };

export interface OpenAIChatRequest {
  model: string;
  messages: OpenAIMessage[];
  tools?: OpenAITool[];
  tool_choice?: OpenAIToolChoice;
  temperature?: number | null;
  top_p?: number | null;
  /** Deprecated by OpenAI for new models in favour of `max_completion_tokens`; still what most compatible servers read. */
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  /** Not OpenAI's; OpenRouter, Together and most compatible servers accept them. */
  top_k?: number;
  repetition_penalty?: number;
  user?: string;
  parallel_tool_calls?: boolean;
  /** OpenAI's reasoning models. */
  reasoning_effort?: string | null;
  /** OpenRouter's unified reasoning switch. */
  reasoning?: { effort?: string; max_tokens?: number; enabled?: boolean };
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
}

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; refusal: string | null; tool_calls?: OpenAIToolCall[] };
    finish_reason: OpenAIFinishReason;
    logprobs: null;
  }>;
  usage: OpenAIUsage;
}

interface OpenAIToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface OpenAIChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null; tool_calls?: OpenAIToolCallDelta[] };
    finish_reason: OpenAIFinishReason | null;
    logprobs?: null;
  }>;
  usage?: OpenAIUsage | null;
}

/**
 * What the decoders read from a completion or chunk. Looser than the types above so that both the SDK's types
 * and whatever an OpenAI-compatible server sends fit (nullable fields, extra finish reasons, no `index`).
 */
export interface OpenAIUsageLike {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

interface OpenAIToolCallLike {
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface OpenAIChatCompletionLike {
  id?: string | null;
  model?: string | null;
  choices?: ReadonlyArray<{
    message?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: ReadonlyArray<OpenAIToolCallLike> | null;
    } | null;
    finish_reason?: string | null;
  }> | null;
  usage?: OpenAIUsageLike | null;
}

export interface OpenAIChatChunkLike {
  id?: string | null;
  model?: string | null;
  choices?: ReadonlyArray<{
    delta?: {
      content?: string | null;
      tool_calls?: ReadonlyArray<OpenAIToolCallLike & { index?: number | null }> | null;
    } | null;
    finish_reason?: string | null;
  }> | null;
  usage?: OpenAIUsageLike | null;
  /** OpenRouter reports a mid-stream failure as a chunk carrying `error`. */
  error?: unknown;
}
