import { STATUS_CODES } from 'node:http';

/** The error shape every Pantheon HTTP surface answers with (the same as the platform API's). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** Thrown by a route to answer with an error status; anything else becomes a logged 500. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(status: number, message: string): ErrorBody {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
}
