import { CodedError } from '@pantheon/errors';

/** Stable codes for {@link CryptoError}; apps map them exhaustively in their exception filters. */
export enum CryptoErrorCode {
  /** `PANTHEON_MASTER_KEYS` is missing or malformed; boot must stop. */
  MASTER_KEY_CONFIG = 'MASTER_KEY_CONFIG',
  /** A ciphertext names a master key version that is not configured. */
  KEY_VERSION_UNKNOWN = 'KEY_VERSION_UNKNOWN',
  /** Authentication failed: wrong master key, wrong user/row binding, or tampered data. */
  DECRYPT_FAILED = 'DECRYPT_FAILED',
  /** A configured master key differs from the one the database was encrypted with; boot must stop. */
  MASTER_KEY_MISMATCH = 'MASTER_KEY_MISMATCH',
}

/**
 * The only error `@pantheon/crypto` throws for key-material problems.
 *
 * Invariant: messages name versions, entry positions and lengths only — never key material,
 * plaintext or ciphertext — so they are safe to log and to show operators.
 */
export class CryptoError extends CodedError<CryptoErrorCode> {}
