import Anthropic from '@anthropic-ai/sdk';
import { ErrorContext, mapSdkError, parseRetryAfter, ProviderError } from '../provider.errors';

/** Anthropic's error `type`s, for errors that arrive inside a 200 stream (no HTTP status). */
const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
  timeout_error: 408,
};

function errorTypeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { type, error } = body as { type?: unknown; error?: unknown };
  if (type === 'error') return errorTypeOf(error);
  return typeof type === 'string' ? type : undefined;
}

/** The Anthropic SDK's error classes → ProviderError. */
export function mapAnthropicError(error: unknown, ctx: ErrorContext): ProviderError {
  return mapSdkError(error, ctx, Anthropic, (e) => {
    const type = e.type ?? errorTypeOf(e.error);
    return {
      status: e.status ?? (type ? STATUS_OF_ERROR_TYPE[type] : undefined),
      upstreamMessage: e.apiMessage ?? undefined,
      retryAfterSeconds: parseRetryAfter(e.headers),
    };
  });
}
