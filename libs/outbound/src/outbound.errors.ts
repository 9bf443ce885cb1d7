import { CodedError } from '@pantheon/errors';

/** Stable codes for {@link OutboundError}. */
export enum OutboundErrorCode {
  /** Not an absolute http(s) URL, or it carries credentials. */
  INVALID_URL = 'INVALID_URL',
  /** The host is, or resolves to, an address the policy refuses (loopback, private, platform, …). */
  ADDRESS_NOT_ALLOWED = 'ADDRESS_NOT_ALLOWED',
  /** The host name has no address (or the resolver failed). */
  HOST_UNRESOLVED = 'HOST_UNRESOLVED',
  /** The server answered with a redirect; redirects are never followed. */
  REDIRECT_REFUSED = 'REDIRECT_REFUSED',
  /** A response body grew past the byte limit. */
  RESPONSE_TOO_LARGE = 'RESPONSE_TOO_LARGE',
  /** An event-stream line grew past the byte limit without a newline. */
  SSE_LINE_TOO_LONG = 'SSE_LINE_TOO_LONG',
}

/**
 * The only error `@pantheon/outbound` throws. Messages start with the subject (e.g. `base_url`) and name the
 * rule; they show the host and address, which the user supplied, never a header or a body.
 */
export class OutboundError extends CodedError<OutboundErrorCode> {}
