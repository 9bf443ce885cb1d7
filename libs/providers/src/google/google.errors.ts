import { ApiError } from '@google/genai';
import {
  abortedError,
  ErrorContext,
  failedError,
  httpFailureToProviderError,
  isAbortLike,
  preMapError,
  ProviderError,
  unreachableError,
} from '../provider.errors';

interface GoogleErrorBody {
  message?: string;
  status?: string;
  details?: Array<{ '@type'?: string; reason?: string; retryDelay?: string }>;
}

/** `ApiError.message` is the JSON error body; pick out what the mapping needs. */
function parseGoogleErrorBody(message: string): GoogleErrorBody {
  try {
    const parsed = JSON.parse(message) as { error?: GoogleErrorBody };
    return typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : {};
  } catch {
    return {};
  }
}

function retryDelaySeconds(body: GoogleErrorBody): number | undefined {
  const delay = body.details?.find((d) => typeof d.retryDelay === 'string')?.retryDelay;
  const seconds = delay ? Number(delay.replace(/s$/, '')) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/** `@google/genai`'s ApiError (and fetch failures, which it does not wrap) → ProviderError. */
export function mapGoogleError(error: unknown, ctx: ErrorContext): ProviderError {
  const pre = preMapError(error, ctx);
  if (pre) return pre;
  if (error instanceof ApiError) {
    const body = parseGoogleErrorBody(error.message);
    // Gemini reports a bad key as 400 INVALID_ARGUMENT with reason API_KEY_INVALID.
    const invalidKey =
      body.details?.some((d) => d.reason === 'API_KEY_INVALID') === true || /api key not valid/i.test(body.message ?? '');
    return httpFailureToProviderError(
      { status: error.status, upstreamMessage: body.message, retryAfterSeconds: retryDelaySeconds(body), invalidKey },
      ctx,
    );
  }
  if (isAbortLike(error)) return abortedError(ctx);
  // Node's fetch reports a refused or reset connection as TypeError('fetch failed').
  if (error instanceof TypeError) return unreachableError(ctx);
  return failedError(ctx);
}
