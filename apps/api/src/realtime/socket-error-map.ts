import { AuthError, AuthErrorCode } from '@pantheon/auth';

export type HandshakeRefusal = 'unauthorized' | 'forbidden' | 'too many requests' | 'unavailable';

/** The one word a refused handshake gets back (the reason stays in the log). Exhaustive over auth codes. */
const REFUSAL: Record<AuthErrorCode, Exclude<HandshakeRefusal, 'unavailable'>> = {
  [AuthErrorCode.MISSING_TOKEN]: 'unauthorized',
  [AuthErrorCode.INVALID_TOKEN]: 'unauthorized',
  [AuthErrorCode.FORBIDDEN]: 'forbidden',
  [AuthErrorCode.RATE_LIMITED]: 'too many requests',
};

/** What a socket client is told about a failed handshake; anything but an auth error is our fault: `unavailable`. */
export function handshakeRefusal(err: unknown): HandshakeRefusal {
  return err instanceof AuthError ? REFUSAL[err.code] : 'unavailable';
}

/** The connect_error a refused client receives: the word as message, and when to retry after a 429. */
export function handshakeError(err: unknown): Error & { data?: { retryAfter: number } } {
  const error: Error & { data?: { retryAfter: number } } = new Error(handshakeRefusal(err));
  if (err instanceof AuthError && err.retryAfterS !== undefined) error.data = { retryAfter: err.retryAfterS };
  return error;
}
