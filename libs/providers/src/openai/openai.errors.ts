import OpenAI from 'openai';
import { ErrorContext, mapSdkError, parseRetryAfter, ProviderError } from '../provider.errors';

function upstreamMessageOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && body !== null) {
    const { message, error } = body as { message?: unknown; error?: unknown };
    if (typeof message === 'string') return message;
    if (error !== undefined) return upstreamMessageOf(error);
  }
  return undefined;
}

/** OpenRouter puts the upstream status in the `code` of an error it sends inside a 200 stream. */
function statusOfStreamError(body: unknown): number | undefined {
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : undefined;
}

/** The OpenAI SDK's error classes → ProviderError, for every OpenAI-compatible family. */
export function mapOpenAIError(error: unknown, ctx: ErrorContext): ProviderError {
  return mapSdkError(error, ctx, OpenAI, (e) => ({
    status: e.status ?? statusOfStreamError(e.error),
    upstreamMessage: upstreamMessageOf(e.error),
    retryAfterSeconds: parseRetryAfter(e.headers),
  }));
}
