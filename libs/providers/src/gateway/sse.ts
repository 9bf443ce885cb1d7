import type { AnthropicStreamEvent } from './anthropic.types';
import type { OpenAIChatChunk } from './openai.types';

/** Server-sent-event framing of the two gateway formats. */

/** One OpenAI chunk as an SSE frame (`data: {...}`). */
export function formatOpenAISse(chunk: OpenAIChatChunk): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The frame that ends an OpenAI stream. */
export const OPENAI_SSE_DONE = 'data: [DONE]\n\n';

/** One Anthropic event as an SSE frame (`event: <type>` + `data: {...}`). */
export function formatAnthropicSse(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** An Anthropic-format error frame, for a failure after the stream has started. */
export function formatAnthropicSseError(type: string, message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`;
}
