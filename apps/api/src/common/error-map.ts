import { HttpException, HttpStatus } from '@nestjs/common';
import { AuthError, AuthErrorCode } from '@pantheon/auth';
import { ConfigError } from '@pantheon/config';
import { CryptoError } from '@pantheon/crypto';
import { DbError, DbErrorCode } from '@pantheon/db';
import { OutboundError, OutboundErrorCode } from '@pantheon/outbound';
import { WireFormatError, WireFormatErrorCode, ProviderError, ProviderErrorCode } from '@pantheon/providers';
import { DomainError, DomainErrorCode } from './domain.error';

/** What an error means on the HTTP surface. Every surface (REST, LLM proxy, sockets) starts from this. */
export interface MappedError {
  status: number;
  message: string;
  /** Individual validation problems, when there are several. */
  details?: string[];
  /** A rule's code (DomainErrorCode), sent with the message so clients can tell rules apart. */
  code?: string;
  /** Server faults are logged with their cause; client errors are not. */
  log?: unknown;
  /** Response headers the status needs (Retry-After on a 429). */
  headers?: Record<string, string>;
}

// The maps are exhaustive `Record`s: a code added to a lib without a status here fails the build.

const AUTH_STATUS: Record<AuthErrorCode, number> = {
  [AuthErrorCode.MISSING_TOKEN]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.INVALID_TOKEN]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.FORBIDDEN]: HttpStatus.FORBIDDEN,
  [AuthErrorCode.RATE_LIMITED]: HttpStatus.TOO_MANY_REQUESTS,
};

const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  [DomainErrorCode.NOT_FOUND]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.CONFLICT]: HttpStatus.CONFLICT,
  [DomainErrorCode.LIMIT_REACHED]: HttpStatus.CONFLICT,
  [DomainErrorCode.INVALID]: HttpStatus.BAD_REQUEST,
  [DomainErrorCode.BUDGET_EXHAUSTED]: HttpStatus.PAYMENT_REQUIRED,
  [DomainErrorCode.TOKEN_BUDGET_EXHAUSTED]: HttpStatus.TOO_MANY_REQUESTS,
  [DomainErrorCode.DEPENDENCY_UNAVAILABLE]: HttpStatus.BAD_GATEWAY,
  [DomainErrorCode.PLATFORM_AT_CAPACITY]: HttpStatus.SERVICE_UNAVAILABLE,
  [DomainErrorCode.VIEWER_TICKET_GONE]: HttpStatus.GONE,
  [DomainErrorCode.VIEWER_SESSION_INVALID]: HttpStatus.FORBIDDEN,
};

/** Provider failures, named after the provider; never 401 (that would read as our own auth failing). */
export const PROVIDER_STATUS: Record<ProviderErrorCode, number> = {
  [ProviderErrorCode.INVALID_KEY]: HttpStatus.BAD_REQUEST,
  [ProviderErrorCode.PERMISSION_DENIED]: HttpStatus.FORBIDDEN,
  [ProviderErrorCode.INSUFFICIENT_CREDITS]: HttpStatus.PAYMENT_REQUIRED,
  [ProviderErrorCode.RATE_LIMITED]: HttpStatus.TOO_MANY_REQUESTS,
  [ProviderErrorCode.MODEL_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ProviderErrorCode.BAD_REQUEST]: HttpStatus.BAD_REQUEST,
  [ProviderErrorCode.UPSTREAM_ERROR]: HttpStatus.BAD_GATEWAY,
  [ProviderErrorCode.TIMEOUT]: HttpStatus.GATEWAY_TIMEOUT,
  // The client went away; nobody reads this status, but it must not look like a server fault.
  [ProviderErrorCode.ABORTED]: 499,
};

/** `null`: a server fault (migrations), answered as a logged 500. */
const DB_STATUS: Record<DbErrorCode, number | null> = {
  [DbErrorCode.NOT_FOUND]: HttpStatus.NOT_FOUND,
  [DbErrorCode.CONFLICT]: HttpStatus.CONFLICT,
  [DbErrorCode.MIGRATION_FAILED]: null,
  [DbErrorCode.MIGRATION_CHECKSUM_MISMATCH]: null,
  [DbErrorCode.MIGRATION_INCOMPLETE]: null,
  [DbErrorCode.MIGRATION_MISSING]: null,
};

/** Both mean "fix the request"; messages name the field, never its content. */
const WIRE_FORMAT_STATUS: Record<WireFormatErrorCode, number> = {
  [WireFormatErrorCode.INVALID_REQUEST]: HttpStatus.BAD_REQUEST,
  [WireFormatErrorCode.UNSUPPORTED_CONTENT]: HttpStatus.BAD_REQUEST,
};

/** A URL the user supplied that the outbound policy refuses is theirs to fix; a hostile answer is the upstream's fault. */
const OUTBOUND_STATUS: Record<OutboundErrorCode, number> = {
  [OutboundErrorCode.INVALID_URL]: HttpStatus.BAD_REQUEST,
  [OutboundErrorCode.ADDRESS_NOT_ALLOWED]: HttpStatus.BAD_REQUEST,
  [OutboundErrorCode.HOST_UNRESOLVED]: HttpStatus.BAD_REQUEST,
  [OutboundErrorCode.REDIRECT_REFUSED]: HttpStatus.BAD_REQUEST,
  [OutboundErrorCode.RESPONSE_TOO_LARGE]: HttpStatus.BAD_GATEWAY,
  [OutboundErrorCode.SSE_LINE_TOO_LONG]: HttpStatus.BAD_GATEWAY,
};

const INTERNAL = 'Internal server error';

/** A provider call that failed for a reason the user can act on (not a fault of ours: logged as such nowhere). */
export function isCallFailure(err: unknown): err is ProviderError | OutboundError {
  return err instanceof ProviderError || err instanceof OutboundError;
}

/** Body-parser and similar middleware errors carry an http status and a `type`. */
function middlewareError(err: unknown): MappedError | undefined {
  const e = err as { status?: number; statusCode?: number; type?: string; expose?: boolean };
  const status = e?.status ?? e?.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499 || typeof e.type !== 'string') return undefined;
  const messages: Record<string, string> = {
    'entity.too.large': 'Request body is too large',
    'entity.parse.failed': 'Request body is not valid JSON',
    'encoding.unsupported': 'Unsupported request body encoding',
    'charset.unsupported': 'Unsupported request body charset',
  };
  return { status, message: messages[e.type] ?? 'Bad request' };
}

function httpException(err: HttpException): MappedError {
  const status = err.getStatus();
  const res = err.getResponse();
  const raw = typeof res === 'string' ? res : (res as { message?: unknown }).message;
  if (Array.isArray(raw)) {
    const details = raw.map(String);
    return { status, message: details.join('; '), details };
  }
  return { status, message: typeof raw === 'string' ? raw : err.message, log: status >= 500 ? err : undefined };
}

/** Every error the API can meet, as a status and a message that is safe to send. */
export function mapError(err: unknown): MappedError {
  if (err instanceof HttpException) return httpException(err);
  if (err instanceof AuthError) {
    const mapped: MappedError = { status: AUTH_STATUS[err.code], message: err.message };
    return err.retryAfterS === undefined ? mapped : { ...mapped, headers: { 'Retry-After': String(err.retryAfterS) } };
  }
  if (err instanceof DomainError) return { status: DOMAIN_STATUS[err.code], message: err.message, code: err.code };
  if (err instanceof ProviderError) return { status: PROVIDER_STATUS[err.code], message: err.message };
  if (err instanceof WireFormatError) return { status: WIRE_FORMAT_STATUS[err.code], message: err.message };
  if (err instanceof OutboundError) return { status: OUTBOUND_STATUS[err.code], message: err.message };
  if (err instanceof DbError) {
    const status = DB_STATUS[err.code];
    return status === null ? { status: HttpStatus.INTERNAL_SERVER_ERROR, message: INTERNAL, log: err } : { status, message: err.message };
  }
  if (err instanceof CryptoError) {
    // Fail closed: a key we cannot decrypt is a server-side configuration problem, never the client's data.
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'A stored secret could not be decrypted', log: err };
  }
  if (err instanceof ConfigError) return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: INTERNAL, log: err };
  return middlewareError(err) ?? { status: HttpStatus.INTERNAL_SERVER_ERROR, message: INTERNAL, log: err };
}
