export { PROVIDER_IDS, ProviderId, MODEL_REF_PATTERN } from './provider-ids';
export type { ChatParams, ChatProvider, ModelInfo } from './provider';
export type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  ImageContent,
  ModelParameters,
  Reasoning,
  ToolDefinition,
  Usage,
} from './wire/chat.model';
export { ProviderError, ProviderErrorCode } from './provider.errors';
export { formatModelRef, parseModelRef } from './model-ref';
export { DEFAULT_BASE_URLS, ProviderSettings } from './provider.settings';
export { ProviderRegistry } from './provider.registry';
export { ProvidersModule } from './providers.module';
export { OpenAICompatibleProvider } from './openai/openai-compatible.provider';
export { AnthropicProvider } from './anthropic/anthropic.provider';
export type { AnthropicForwardedEvent, AnthropicForwardedMessage, AnthropicForwardParams } from './anthropic/anthropic.provider';
export { GoogleProvider } from './google/google.provider';
export { ChatStreamAccumulator, collectChatStream } from './wire/stream-accumulator';
export type { SseFrame } from './wire/sse';
export { WireFormatError, WireFormatErrorCode } from './wire/wire-format.error';
// The codecs the LLM proxy speaks to its clients.
export { neutralToOpenAIResponse, OPENAI_SSE_DONE, openAIRequestToNeutral, openAISseErrorFrame, openAISseFrame, OpenAIStreamEncoder } from './openai/openai.codec';
export type { OpenAIChatRequest } from './openai/openai.types';
export {
  ANTHROPIC_DROPPED_BLOCKS,
  anthropicRequestToNeutral,
  anthropicUsageToNeutral,
  AnthropicUsageTracker,
  anthropicSseErrorFrame,
  anthropicSseFrame,
  AnthropicStreamEncoder,
  neutralToAnthropicResponse,
} from './anthropic/anthropic.codec';
export type { AnthropicMessagesRequest } from './anthropic/anthropic.types';
export {
  neutralToResponsesResponse,
  RESPONSES_DROPPED_ITEMS,
  responsesRequestToNeutral,
  responsesSseErrorFrame,
  responsesSseFrame,
  ResponsesStreamEncoder,
} from './openai/openai-responses.codec';
export type { ResponsesRequest } from './openai/openai-responses.codec';
