/** The AI provider families the platform speaks to. `custom` = any OpenAI-compatible endpoint (needs a base URL). */
export const PROVIDER_IDS = ['openrouter', 'openai', 'anthropic', 'google', 'together', 'xai', 'custom'] as const;

export type ProviderId = (typeof PROVIDER_IDS)[number];

/** The platform default, used when a user has no preferred model. */
export const DEFAULT_PROVIDER: ProviderId = 'openrouter';

/** `provider/model` ids (OpenRouter style), e.g. `anthropic/claude-sonnet-4`, `openrouter/openai/gpt-4o`. */
export const MODEL_REF_PATTERN = /^(openrouter|openai|anthropic|google|together|xai|custom)\/[A-Za-z0-9._:@\/-]{1,190}$/;
