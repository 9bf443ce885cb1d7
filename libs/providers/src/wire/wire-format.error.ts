import { CodedError } from '@pantheon/errors';

/** Stable codes for {@link WireFormatError}; both mean "400: fix the request". */
export enum WireFormatErrorCode {
  /** The request uses something the codecs cannot translate (images, documents, legacy functions). */
  UNSUPPORTED_CONTENT = 'UNSUPPORTED_CONTENT',
  /** The request is not well-formed for its format (missing fields, wrong shapes). */
  INVALID_REQUEST = 'INVALID_REQUEST',
}

/**
 * Thrown when a client's request body cannot be decoded. Messages name the offending field (e.g.
 * `messages[2].content[0]`) and the problem, never the content itself.
 */
export class WireFormatError extends CodedError<WireFormatErrorCode> {}

export function invalid(message: string): WireFormatError {
  return new WireFormatError(WireFormatErrorCode.INVALID_REQUEST, message);
}

export function unsupported(message: string): WireFormatError {
  return new WireFormatError(WireFormatErrorCode.UNSUPPORTED_CONTENT, message);
}
