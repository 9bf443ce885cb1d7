import { AuthError, AuthErrorCode } from '@pantheon/auth';

/** The one word a refused handshake gets back (the reason stays in the log). Exhaustive over auth codes. */
const REFUSAL: Record<AuthErrorCode, 'unauthorized' | 'forbidden'> = {
  [AuthErrorCode.MISSING_TOKEN]: 'unauthorized',
  [AuthErrorCode.INVALID_TOKEN]: 'unauthorized',
  [AuthErrorCode.FORBIDDEN]: 'forbidden',
};

/** What a socket client is told about a failed handshake; anything but an auth error is our fault: `unavailable`. */
export function handshakeRefusal(err: unknown): 'unauthorized' | 'forbidden' | 'unavailable' {
  return err instanceof AuthError ? REFUSAL[err.code] : 'unavailable';
}
