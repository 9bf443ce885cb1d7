import type { Env } from '@pantheon/config';
import type { ProviderId } from './provider-ids';

/** Families with a fixed upstream; `custom` has none (every call brings its base URL). */
type HostedProviderId = Exclude<ProviderId, 'custom'>;

/** What the registry needs from the environment; tests build it directly (pointing at loopback fakes). */
export interface ProviderSettings {
  baseUrls: Record<HostedProviderId, string>;
  /** See `PROVIDER_TIMEOUT_MS`. */
  timeoutMs: number;
  /** App attribution headers OpenRouter asks for (`HTTP-Referer`, `X-Title`). */
  openRouter: { referer?: string; title?: string };
}

export const DEFAULT_BASE_URLS: Readonly<Record<HostedProviderId, string>> = {
  openai: 'https://api.openai.com/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  anthropic: 'https://api.anthropic.com',
  google: 'https://generativelanguage.googleapis.com',
  together: 'https://api.together.xyz/v1',
  xai: 'https://api.x.ai/v1',
};

export const DEFAULT_PROVIDER_TIMEOUT_MS = 60_000;

type ProviderEnv = Pick<
  Env,
  | 'OPENAI_BASE_URL'
  | 'OPENROUTER_BASE_URL'
  | 'ANTHROPIC_BASE_URL'
  | 'GOOGLE_AI_BASE_URL'
  | 'TOGETHER_BASE_URL'
  | 'XAI_BASE_URL'
  | 'OPENROUTER_REFERER'
  | 'OPENROUTER_TITLE'
  | 'PROVIDER_TIMEOUT_MS'
>;

/** The providers' slice of the validated config. */
export function providerSettingsFromConfig(env: ProviderEnv): ProviderSettings {
  return {
    baseUrls: {
      openai: env.OPENAI_BASE_URL,
      openrouter: env.OPENROUTER_BASE_URL,
      anthropic: env.ANTHROPIC_BASE_URL,
      google: env.GOOGLE_AI_BASE_URL,
      together: env.TOGETHER_BASE_URL,
      xai: env.XAI_BASE_URL,
    },
    timeoutMs: env.PROVIDER_TIMEOUT_MS,
    openRouter: { referer: env.OPENROUTER_REFERER, title: env.OPENROUTER_TITLE },
  };
}

/** OpenRouter's attribution headers; empty for every other family. */
export function openRouterHeaders(openRouter: ProviderSettings['openRouter']): Record<string, string> {
  const headers: Record<string, string> = {};
  if (openRouter.referer) headers['HTTP-Referer'] = openRouter.referer;
  if (openRouter.title) headers['X-Title'] = openRouter.title;
  return headers;
}

/** How the registry configures one adapter. */
export interface AdapterOptions {
  /** The family's base URL; a call's own `baseUrl` wins. `custom` has none. */
  baseUrl?: string;
  /** Per-call deadline (the whole response; each chunk when streaming). Default 60 s. */
  timeoutMs?: number;
  /** Sent with every request (OpenRouter's attribution headers). */
  headers?: Record<string, string>;
}
