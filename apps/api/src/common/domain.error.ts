export enum DomainErrorCode {
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  LimitReached = 'LIMIT_REACHED',
  Invalid = 'INVALID',
}

/** Rule violations raised by services; the HTTP filter maps codes to statuses. */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** Another user's record and a missing one look the same, so ids reveal nothing. */
  static notFound(what: string): DomainError {
    return new DomainError(DomainErrorCode.NotFound, `${what} not found`);
  }
}
