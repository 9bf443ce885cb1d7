import {
  anthropicRequestToNeutral,
  anthropicResponseToNeutral,
  AnthropicStreamDecoder,
  AnthropicStreamEncoder,
  AnthropicStreamEncoderOptions,
  neutralToAnthropicRequest,
  neutralToAnthropicResponse,
  NeutralToAnthropicOptions,
} from './anthropic.format';
import type {
  AnthropicMessage,
  AnthropicMessageLike,
  AnthropicMessagesRequest,
  AnthropicStreamEvent,
  AnthropicStreamEventLike,
} from './anthropic.types';
import {
  neutralToOpenAIRequest,
  neutralToOpenAIResponse,
  openAIRequestToNeutral,
  openAIResponseToNeutral,
  OpenAIStreamDecoder,
  OpenAIStreamEncoder,
  OpenAIStreamEncoderOptions,
} from './openai.format';
import type {
  OpenAIChatChunk,
  OpenAIChatChunkLike,
  OpenAIChatCompletion,
  OpenAIChatCompletionLike,
  OpenAIChatRequest,
} from './openai.types';

/**
 * Direct translation between the two public formats, through the neutral model (so a format pair never
 * needs its own mapping). What the neutral model cannot carry is lost: images (rejected), Anthropic reasoning
 * blocks (dropped), seed and penalties towards Anthropic (dropped), and which stop sequence matched towards
 * OpenAI.
 */

export function anthropicRequestToOpenAI(body: AnthropicMessagesRequest): OpenAIChatRequest {
  return neutralToOpenAIRequest(anthropicRequestToNeutral(body), { stream: body.stream === true });
}

export function openAIRequestToAnthropic(body: OpenAIChatRequest, options: NeutralToAnthropicOptions = {}): AnthropicMessagesRequest {
  return neutralToAnthropicRequest(openAIRequestToNeutral(body), { stream: body.stream === true, ...options });
}

export function openAIResponseToAnthropic(response: OpenAIChatCompletionLike, options: { id?: string; model?: string } = {}): AnthropicMessage {
  return neutralToAnthropicResponse(openAIResponseToNeutral(response), options);
}

export function anthropicResponseToOpenAI(
  response: AnthropicMessageLike,
  options: { id?: string; created?: number; model?: string } = {},
): OpenAIChatCompletion {
  return neutralToOpenAIResponse(anthropicResponseToNeutral(response), options);
}

/** An OpenAI chunk stream → the Anthropic event sequence (message_start … message_stop). */
export async function* openAIStreamToAnthropic(
  chunks: AsyncIterable<OpenAIChatChunkLike>,
  options: AnthropicStreamEncoderOptions = {},
): AsyncGenerator<AnthropicStreamEvent> {
  const decoder = new OpenAIStreamDecoder();
  const encoder = new AnthropicStreamEncoder(options);
  for await (const chunk of chunks) for (const event of decoder.push(chunk)) yield* encoder.push(event);
  for (const event of decoder.end()) yield* encoder.push(event);
}

/** An Anthropic event stream → OpenAI chunks, ending with a usage chunk unless `includeUsage` is false. */
export async function* anthropicStreamToOpenAI(
  events: AsyncIterable<AnthropicStreamEventLike>,
  options: OpenAIStreamEncoderOptions = {},
): AsyncGenerator<OpenAIChatChunk> {
  const decoder = new AnthropicStreamDecoder();
  const encoder = new OpenAIStreamEncoder(options);
  for await (const event of events) for (const neutral of decoder.push(event)) yield* encoder.push(neutral);
  for (const neutral of decoder.end()) yield* encoder.push(neutral);
}
