import { CodedError } from '@pantheon/errors';

export enum AuthErrorCode {
  MISSING_TOKEN = 'AUTH_MISSING_TOKEN',
  INVALID_TOKEN = 'AUTH_INVALID_TOKEN',
  FORBIDDEN = 'AUTH_FORBIDDEN',
  /** Too many failed authentications (or handshakes) from one client address. */
  RATE_LIMITED = 'AUTH_RATE_LIMITED',
}

/** `reason` is for logs only; clients get a generic message so a probe learns nothing about the check that failed. */
export class AuthError extends CodedError<AuthErrorCode> {
  constructor(
    code: AuthErrorCode,
    message: string,
    readonly reason?: string,
    /** RATE_LIMITED only: seconds until the client may try again (Retry-After). */
    readonly retryAfterS?: number,
  ) {
    super(code, message);
  }
}

/** The 429 for a client over its failure budget. */
export function rateLimited(retryAfterS: number, reason: string): AuthError {
  return new AuthError(
    AuthErrorCode.RATE_LIMITED,
    'Too many failed authentication attempts from this address; retry after the number of seconds in the Retry-After header',
    reason,
    Math.max(1, Math.ceil(retryAfterS)),
  );
}
