import { redactSecrets } from '@pantheon/crypto';
import { CodedError } from '@pantheon/errors';
import type { ProviderId } from './provider-ids';

/** Stable codes for {@link ProviderError}; apps map them exhaustively in their exception filters. */
export enum ProviderErrorCode {
  /** The provider rejected the key (401, Gemini's API_KEY_INVALID). */
  INVALID_KEY = 'INVALID_KEY',
  /** The key is valid but may not do this (403: model or region not allowed for the key). */
  PERMISSION_DENIED = 'PERMISSION_DENIED',
  /** The account behind the key has no credit left (402). */
  INSUFFICIENT_CREDITS = 'INSUFFICIENT_CREDITS',
  /** 429; `retryAfterSeconds` when the provider said how long to wait. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** The model does not exist or the key cannot see it (404 on a chat call). */
  MODEL_NOT_FOUND = 'MODEL_NOT_FOUND',
  /** The provider failed (5xx, overloaded), could not be reached, or answered something unreadable. */
  UPSTREAM_ERROR = 'UPSTREAM_ERROR',
  /** No response (or, when streaming, no chunk) within the provider timeout. */
  TIMEOUT = 'TIMEOUT',
  /** The caller's AbortSignal fired (e.g. the client disconnected). */
  ABORTED = 'ABORTED',
  /** The provider rejected the request itself (400/413/422), or it cannot be expressed for this provider. */
  BAD_REQUEST = 'BAD_REQUEST',
}

const RETRYABLE = new Set([ProviderErrorCode.RATE_LIMITED, ProviderErrorCode.UPSTREAM_ERROR, ProviderErrorCode.TIMEOUT]);

/**
 * Every failure of a provider call; each adapter converts its SDK's errors at its edge.
 *
 * Invariant: the message names the provider and the reason, never the API key and never a raw upstream body —
 * at most a short upstream explanation passed through {@link sanitizeUpstreamMessage}. Safe to log and to
 * show the user.
 */
export class ProviderError extends CodedError<ProviderErrorCode> {
  constructor(
    code: ProviderErrorCode,
    readonly provider: ProviderId,
    message: string,
    readonly details: { status?: number; retryAfterSeconds?: number } = {},
  ) {
    super(code, message);
  }

  /** Upstream HTTP status, when there was a response. */
  get status(): number | undefined {
    return this.details.status;
  }

  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }

  /** Whether the same request may succeed later (the caller decides whether to retry). */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

const MAX_UPSTREAM_MESSAGE = 200;
// Shapes of provider credentials that may be echoed partially masked ("sk-abc***xyz"), which exact
// redaction of the key cannot catch.
const KEY_LIKE = /\b(?:sk|pk|rk|fk|xai|gsk|key)[-_][A-Za-z0-9*._-]{6,}|\bAIza[A-Za-z0-9_-]{10,}|\bBearer\s+\S+/gi;

/**
 * A provider's own explanation made fit for a user-facing message: the key (and anything shaped like a key)
 * redacted, whitespace collapsed, cut to 200 characters. Undefined when there is nothing useful.
 */
export function sanitizeUpstreamMessage(message: unknown, secrets: readonly string[]): string | undefined {
  if (typeof message !== 'string') return undefined;
  const clean = redactSecrets(message, secrets)
    .replace(KEY_LIKE, '[REDACTED]')
    .replace(/\s+/g, ' ')
    .trim();
  if (!clean) return undefined;
  return clean.length > MAX_UPSTREAM_MESSAGE ? `${clean.slice(0, MAX_UPSTREAM_MESSAGE - 1)}…` : clean;
}

/**
 * Seconds to wait from `retry-after-ms` / `retry-after` (delta-seconds or an HTTP date), rounded up.
 * `now` is injectable for tests.
 */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const raw = headers.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** What an adapter knows when it converts a failure. */
export interface ErrorContext {
  provider: ProviderId;
  /** Redacted from every message. */
  apiKey: string;
  /** `models` turns a 404 into "check the base URL" instead of "model not found". */
  operation: 'chat' | 'models';
  model?: string;
  /** The caller's signal: if it fired, the failure is ABORTED whatever the SDK made of it. */
  signal?: AbortSignal;
  /** True when our own deadline fired: the failure is TIMEOUT. */
  timedOut?: boolean;
}

/** An HTTP failure reduced to what the mapping needs; each adapter extracts it from its SDK's error class. */
interface HttpFailure {
  status: number;
  /** The provider's own short explanation (sanitized before use). */
  upstreamMessage?: string;
  retryAfterSeconds?: number;
  /** Provider-specific reason that overrides the status (Gemini reports a bad key as 400 API_KEY_INVALID). */
  invalidKey?: boolean;
}

/** The common status → code table, shared by every adapter so the families agree on meaning. */
export function httpFailureToProviderError(failure: HttpFailure, ctx: ErrorContext): ProviderError {
  const { provider } = ctx;
  const { status } = failure;
  const detail = sanitizeUpstreamMessage(failure.upstreamMessage, [ctx.apiKey]);
  const withDetail = (text: string) => (detail ? `${text}: ${detail}` : text);
  const details = { status };

  // Key problems never carry the upstream text: providers echo a masked form of the key in it.
  if (failure.invalidKey || status === 401) {
    return new ProviderError(ProviderErrorCode.INVALID_KEY, provider, `${provider} rejected the API key`, details);
  }
  if (status === 403) {
    return new ProviderError(
      ProviderErrorCode.PERMISSION_DENIED,
      provider,
      withDetail(`${provider} denied this request for the API key`),
      details,
    );
  }
  if (status === 402) {
    return new ProviderError(
      ProviderErrorCode.INSUFFICIENT_CREDITS,
      provider,
      `${provider} reports insufficient credits for the API key`,
      details,
    );
  }
  if (status === 429) {
    const retryAfterSeconds = failure.retryAfterSeconds;
    const message =
      retryAfterSeconds === undefined
        ? `${provider} rate limit reached`
        : `${provider} rate limit reached; retry after ${retryAfterSeconds} s`;
    return new ProviderError(ProviderErrorCode.RATE_LIMITED, provider, message, { status, retryAfterSeconds });
  }
  if (status === 404) {
    if (ctx.operation === 'models') {
      return new ProviderError(
        ProviderErrorCode.UPSTREAM_ERROR,
        provider,
        `${provider} has no model list at the configured base URL`,
        details,
      );
    }
    const model = ctx.model ? ` ${JSON.stringify(ctx.model)}` : '';
    return new ProviderError(ProviderErrorCode.MODEL_NOT_FOUND, provider, `${provider} does not know the model${model}`, details);
  }
  if (status === 408) {
    return new ProviderError(ProviderErrorCode.TIMEOUT, provider, `${provider} timed out`, details);
  }
  if (status >= 500) {
    return new ProviderError(
      ProviderErrorCode.UPSTREAM_ERROR,
      provider,
      `${provider} failed with status ${status}`,
      details,
    );
  }
  if (status >= 400) {
    return new ProviderError(ProviderErrorCode.BAD_REQUEST, provider, withDetail(`${provider} rejected the request`), details);
  }
  return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, provider, `${provider} answered with status ${status}`, details);
}

function timeoutError(ctx: ErrorContext): ProviderError {
  return new ProviderError(ProviderErrorCode.TIMEOUT, ctx.provider, `${ctx.provider} did not answer in time`);
}

export function abortedError(ctx: ErrorContext): ProviderError {
  return new ProviderError(ProviderErrorCode.ABORTED, ctx.provider, `request to ${ctx.provider} was aborted`);
}

export function unreachableError(ctx: ErrorContext): ProviderError {
  return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, ctx.provider, `could not reach ${ctx.provider}`);
}

/** A failure nothing explains; its own message is not kept (it may quote the request). */
export function failedError(ctx: ErrorContext): ProviderError {
  return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, ctx.provider, `request to ${ctx.provider} failed`);
}

/** Errors thrown by fetch when its signal fires (DOMException AbortError, or a TimeoutError reason). */
export function isAbortLike(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/**
 * The part of every adapter's mapping that does not depend on the SDK: an already converted error passes
 * through, the caller's abort wins over anything else, then our own deadline. Returns undefined when the
 * SDK-specific mapping must decide.
 */
export function preMapError(error: unknown, ctx: ErrorContext): ProviderError | undefined {
  if (error instanceof ProviderError) return error;
  if (ctx.signal?.aborted) return abortedError(ctx);
  if (ctx.timedOut) return timeoutError(ctx);
  return undefined;
}

/** An error the provider reported; `status` is absent when it came inside a 200 stream and named none. */
type ReportedFailure = Omit<HttpFailure, 'status'> & { status?: number };

type ErrorClass<E = unknown> = abstract new (...args: never[]) => E;

/** The error classes both Stainless-generated SDKs (`openai`, `@anthropic-ai/sdk`) expose on their client class. */
interface SdkErrorClasses<E> {
  APIUserAbortError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIConnectionError: ErrorClass;
  APIError: ErrorClass<E>;
}

/**
 * A Stainless SDK's error → ProviderError. The order matters: in those SDKs the abort and connection errors
 * are subclasses of `APIError`. `failureOf` reads the family's own error body.
 */
export function mapSdkError<E>(
  error: unknown,
  ctx: ErrorContext,
  sdk: SdkErrorClasses<E>,
  failureOf: (error: E) => ReportedFailure,
): ProviderError {
  const pre = preMapError(error, ctx);
  if (pre) return pre;
  if (error instanceof sdk.APIUserAbortError) return abortedError(ctx);
  if (error instanceof sdk.APIConnectionTimeoutError) return timeoutError(ctx);
  if (error instanceof sdk.APIConnectionError) return unreachableError(ctx);
  if (error instanceof sdk.APIError) {
    const { status, ...failure } = failureOf(error);
    if (status === undefined) {
      const detail = sanitizeUpstreamMessage(failure.upstreamMessage, [ctx.apiKey]);
      return new ProviderError(
        ProviderErrorCode.UPSTREAM_ERROR,
        ctx.provider,
        detail ? `${ctx.provider} reported an error: ${detail}` : `${ctx.provider} reported an error`,
      );
    }
    return httpFailureToProviderError({ ...failure, status }, ctx);
  }
  if (isAbortLike(error)) return abortedError(ctx);
  if (error instanceof SyntaxError) {
    return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, ctx.provider, `${ctx.provider} sent an unreadable response`);
  }
  return failedError(ctx);
}

/**
 * A CodedError thrown on purpose by a caller-supplied fetch (the outbound policy refusing an address, a redirect
 * or an oversized body), whether the SDK rethrew it as is or wrapped it as a connection error's cause.
 */
export function callerFetchRefusal(error: unknown): CodedError | undefined {
  if (error instanceof CodedError) return error;
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof CodedError ? cause : undefined;
}
