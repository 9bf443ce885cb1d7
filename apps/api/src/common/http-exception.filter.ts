import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { AuthError, AuthErrorCode } from '@pantheon/auth';
import { CryptoError } from '@pantheon/crypto';
import { DbError, DbErrorCode } from '@pantheon/db';
import { ProviderError, ProviderErrorCode } from '@pantheon/providers';
import { STATUS_CODES } from 'node:http';
import { DomainError, DomainErrorCode } from './domain.error';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** Individual validation problems, when there are several. */
  details?: string[];
  request_id?: string;
}

const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  [DomainErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.Conflict]: HttpStatus.CONFLICT,
  [DomainErrorCode.LimitReached]: HttpStatus.CONFLICT,
  [DomainErrorCode.Invalid]: HttpStatus.BAD_REQUEST,
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

const DB_STATUS: Partial<Record<DbErrorCode, number>> = {
  [DbErrorCode.NOT_FOUND]: HttpStatus.NOT_FOUND,
  [DbErrorCode.CONFLICT]: HttpStatus.CONFLICT,
};

interface Mapped {
  status: number;
  message: string;
  details?: string[];
  /** Server faults are logged with their cause; client errors are not. */
  log?: unknown;
}

/** Body-parser and similar middleware errors carry an http status and a `type`. */
function middlewareError(err: unknown): Mapped | undefined {
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

export function mapError(err: unknown): Mapped {
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const res = err.getResponse();
    const raw = typeof res === 'string' ? res : (res as { message?: unknown }).message;
    if (Array.isArray(raw)) {
      const details = raw.map(String);
      return { status, message: details.join('; '), details };
    }
    return { status, message: typeof raw === 'string' ? raw : err.message, log: status >= 500 ? err : undefined };
  }
  if (err instanceof AuthError) {
    return { status: err.code === AuthErrorCode.Forbidden ? HttpStatus.FORBIDDEN : HttpStatus.UNAUTHORIZED, message: err.message };
  }
  if (err instanceof DomainError) return { status: DOMAIN_STATUS[err.code], message: err.message };
  if (err instanceof ProviderError) return { status: PROVIDER_STATUS[err.code], message: err.message };
  if (err instanceof DbError && DB_STATUS[err.code]) return { status: DB_STATUS[err.code]!, message: err.message };
  if (err instanceof CryptoError) {
    // Fail closed: a key we cannot decrypt is a server-side configuration problem, never the client's data.
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'A stored secret could not be decrypted', log: err };
  }
  return middlewareError(err) ?? { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error', log: err };
}

/**
 * One place where every error becomes `{statusCode, error, message, request_id}`. Unknown errors become a
 * 500 with a generic message; their details (stack, SQL) go to the log only, keyed by the request id.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<{ id?: string | number; method?: string; url?: string; user?: { id: string } }>();
    const res = ctx.getResponse<{ headersSent: boolean; status(code: number): { json(body: unknown): void } }>();
    const mapped = mapError(exception);
    const requestId = req?.id === undefined ? undefined : String(req.id);
    if (mapped.log) {
      const e = mapped.log as Error;
      this.logger.error(
        { err: { type: e?.name, message: e?.message, stack: e?.stack, code: (e as { code?: unknown })?.code }, requestId, userId: req?.user?.id },
        `unhandled error on ${req?.method} ${req?.url?.split('?')[0]}`,
      );
    }
    if (res.headersSent) return;
    const body: ErrorBody = {
      statusCode: mapped.status,
      error: STATUS_CODES[mapped.status] ?? 'Error',
      message: mapped.message,
      ...(mapped.details && mapped.details.length > 1 ? { details: mapped.details } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    };
    res.status(mapped.status).json(body);
  }
}
