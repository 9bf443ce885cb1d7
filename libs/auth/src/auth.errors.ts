export enum AuthErrorCode {
  MissingToken = 'AUTH_MISSING_TOKEN',
  InvalidToken = 'AUTH_INVALID_TOKEN',
  Forbidden = 'AUTH_FORBIDDEN',
}

/** `reason` is for logs only; clients get a generic message so a probe learns nothing about the check that failed. */
export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}
