/** Stable codes for {@link GatewayFormatError}; both mean "400: fix the request". */
export enum GatewayFormatErrorCode {
  /** The request uses something the gateway cannot translate (images, documents, legacy functions). */
  UNSUPPORTED_CONTENT = 'UNSUPPORTED_CONTENT',
  /** The request is not well-formed for its format (missing fields, wrong shapes). */
  INVALID_REQUEST = 'INVALID_REQUEST',
}

/**
 * Thrown by the gateway's format translation. Messages name the offending field (e.g. `messages[2].content[0]`)
 * and the problem, never the content itself.
 */
export class GatewayFormatError extends Error {
  override readonly name = 'GatewayFormatError';

  constructor(
    readonly code: GatewayFormatErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function invalid(message: string): GatewayFormatError {
  return new GatewayFormatError(GatewayFormatErrorCode.INVALID_REQUEST, message);
}

export function unsupported(message: string): GatewayFormatError {
  return new GatewayFormatError(GatewayFormatErrorCode.UNSUPPORTED_CONTENT, message);
}
