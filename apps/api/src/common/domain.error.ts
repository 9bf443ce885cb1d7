import { CodedError } from '@pantheon/errors';

export enum DomainErrorCode {
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  LIMIT_REACHED = 'LIMIT_REACHED',
  INVALID = 'INVALID',
  /** The user's monthly spending budget is used up. */
  BUDGET_EXHAUSTED = 'BUDGET_EXHAUSTED',
  /** The project's token budget is used up. */
  TOKEN_BUDGET_EXHAUSTED = 'TOKEN_BUDGET_EXHAUSTED',
  /** A platform component the request depends on (a project's tools API) did not answer. */
  DEPENDENCY_UNAVAILABLE = 'DEPENDENCY_UNAVAILABLE',
  /** The platform's configured capacity (projects, RAM, CPUs) has no room for the request: try later. */
  PLATFORM_AT_CAPACITY = 'PLATFORM_AT_CAPACITY',
  /** A viewer ticket that was already used or has expired. */
  VIEWER_TICKET_GONE = 'VIEWER_TICKET_GONE',
  /** A viewer path opened without that session's own cookie, or after the session ended. */
  VIEWER_SESSION_INVALID = 'VIEWER_SESSION_INVALID',
}

/** Rule violations raised by services; the error map turns codes into statuses. */
export class DomainError extends CodedError<DomainErrorCode> {
  /** Another user's record and a missing one look the same, so ids reveal nothing. */
  static notFound(what: string): DomainError {
    return new DomainError(DomainErrorCode.NOT_FOUND, `${what} not found`);
  }
}
