export { PROVIDER_IDS, ProviderId, DEFAULT_PROVIDER, MODEL_REF_PATTERN } from './provider-ids';
export type {
  AssistantMessage,
  ChatMessage,
  ChatParams,
  ChatProvider,
  ChatRequest,
  ChatResult,
  ChatRole,
  ChatStreamEvent,
  KeyCheckResult,
  ModelInfo,
  ModelParameters,
  ProviderCallParams,
  StopReason,
  SystemMessage,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  ToolMessage,
  Usage,
  UserMessage,
} from './provider';
export { ProviderError, ProviderErrorCode, parseRetryAfter, sanitizeUpstreamMessage } from './provider.errors';
export { formatModelRef, ModelRef, parseModelRef } from './model-ref';
export {
  AdapterOptions,
  DEFAULT_BASE_URLS,
  DEFAULT_PROVIDER_TIMEOUT_MS,
  HostedProviderId,
  openRouterHeaders,
  ProviderEnv,
  ProviderSettings,
  providerSettingsFromConfig,
} from './provider.settings';
export { OPENAI_COMPATIBLE_IDS, OpenAICompatibleId, OpenAICompatibleProvider, mapOpenAIError } from './openai-compatible.provider';
export { AnthropicProvider, mapAnthropicError } from './anthropic.provider';
export { GoogleProvider, mapGoogleError } from './google.provider';
export { PROVIDER_SETTINGS, ProviderRegistry } from './provider.registry';
export { ProvidersModule } from './providers.module';
export * from './gateway';
