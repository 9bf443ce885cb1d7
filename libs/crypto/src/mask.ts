import { createHash } from 'node:crypto';

// Below this length even four characters reveal a third of the secret.
const MIN_MASKABLE_LENGTH = 12;
const MAX_PREFIX_LENGTH = 6;
// Keep at least this many characters hidden between the shown prefix and last4.
const MIN_HIDDEN_LENGTH = 8;
const PREFIX_SEGMENT = /^[A-Za-z]+[-_]+/;
const FINGERPRINT_LABEL = 'pantheon/key-fingerprint/v1';

/** Last four characters for display, or `''` when the secret is shorter than 12 characters. */
export function last4(secret: string): string {
  return secret.length < MIN_MASKABLE_LENGTH ? '' : secret.slice(-4);
}

/**
 * `sha256:` + 16 hex chars identifying a secret for one user. The user id is mixed in so the
 * same provider key held by two users is not linkable; it does not depend on the master key, so
 * it survives rotation.
 */
export function fingerprint(userId: string, secret: string): string {
  const digest = createHash('sha256').update(`${FINGERPRINT_LABEL}\0${userId}\0${secret}`, 'utf8').digest('hex');
  return `sha256:${digest.slice(0, 16)}`;
}

/**
 * Display form such as `sk-or-…a1b2`: a vendor prefix made of whole letter segments ending in
 * `-`/`_` (at most 6 chars), `…`, then {@link last4}. Returns `'****'` for short secrets.
 */
export function maskSecret(secret: string): string {
  if (secret.length < MIN_MASKABLE_LENGTH) {
    return '****';
  }
  let prefix = '';
  let segment = PREFIX_SEGMENT.exec(secret);
  while (segment !== null && prefix.length + segment[0].length <= MAX_PREFIX_LENGTH) {
    prefix += segment[0];
    segment = PREFIX_SEGMENT.exec(secret.slice(prefix.length));
  }
  if (secret.length - prefix.length - 4 < MIN_HIDDEN_LENGTH) {
    prefix = '';
  }
  return `${prefix}…${last4(secret)}`;
}
