import { CodedError } from '@pantheon/errors';

export enum AuthErrorCode {
  MISSING_TOKEN = 'AUTH_MISSING_TOKEN',
  INVALID_TOKEN = 'AUTH_INVALID_TOKEN',
  FORBIDDEN = 'AUTH_FORBIDDEN',
}

/** `reason` is for logs only; clients get a generic message so a probe learns nothing about the check that failed. */
export class AuthError extends CodedError<AuthErrorCode> {
  constructor(
    code: AuthErrorCode,
    message: string,
    readonly reason?: string,
  ) {
    super(code, message);
  }
}
