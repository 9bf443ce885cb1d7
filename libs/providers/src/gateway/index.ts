export * from './anthropic.types';
export * from './openai.types';
export {
  anthropicRequestToNeutral,
  anthropicResponseToNeutral,
  anthropicStopToStopReason,
  anthropicUsageToNeutral,
  AnthropicStreamDecoder,
  AnthropicStreamEncoder,
  AnthropicStreamEncoderOptions,
  decodeAnthropicStream,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  encodeAnthropicStream,
  neutralToAnthropicRequest,
  neutralToAnthropicResponse,
  NeutralToAnthropicOptions,
  stopReasonToAnthropic,
} from './anthropic.format';
export {
  decodeOpenAIStream,
  encodeOpenAIStream,
  neutralToOpenAIRequest,
  neutralToOpenAIResponse,
  openAIFinishToStopReason,
  openAIRequestToNeutral,
  openAIResponseToNeutral,
  OpenAIStreamDecoder,
  OpenAIStreamEncoder,
  OpenAIStreamEncoderOptions,
  openAIUsageToNeutral,
  stopReasonToOpenAIFinish,
} from './openai.format';
export {
  anthropicRequestToOpenAI,
  anthropicResponseToOpenAI,
  anthropicStreamToOpenAI,
  openAIRequestToAnthropic,
  openAIResponseToAnthropic,
  openAIStreamToAnthropic,
} from './translate';
export { ChatStreamAccumulator, collectChatStream } from './stream-accumulator';
export { formatAnthropicSse, formatAnthropicSseError, formatOpenAISse, OPENAI_SSE_DONE } from './sse';
export { GatewayFormatError, GatewayFormatErrorCode } from './gateway.errors';
