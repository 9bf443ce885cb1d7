import { createHmac, timingSafeEqual } from 'node:crypto';
import { CryptoError, CryptoErrorCode } from './crypto.errors';
import type { KeyRing } from './key-ring';

const VERIFIER_LABEL = 'pantheon/master-key-verifier/v1';

/** A verifier the database recorded for one master key version. */
export interface StoredMasterKeyVerifier {
  version: number;
  verifier: Buffer;
}

/**
 * HMAC-SHA256 of a fixed label under master key `version`. Safe to store: it reveals nothing
 * about the key, yet lets boot detect a wrong key before any secret is written under it.
 *
 * @throws CryptoError `KEY_VERSION_UNKNOWN` if the version is not configured.
 */
export function masterKeyVerifier(ring: KeyRing, version: number): Buffer {
  return createHmac('sha256', ring.get(version)).update(VERIFIER_LABEL).digest();
}

/**
 * Checks every stored verifier whose version is configured. Stored versions absent from the ring
 * are skipped (retired after rotation); configured versions with no stored row are new and are
 * for the caller to record.
 *
 * @throws CryptoError `MASTER_KEY_MISMATCH` naming the first version that differs.
 */
export function assertMasterKeysMatch(ring: KeyRing, stored: readonly StoredMasterKeyVerifier[]): void {
  for (const { version, verifier } of stored) {
    if (!ring.has(version)) {
      continue;
    }
    const expected = masterKeyVerifier(ring, version);
    // timingSafeEqual throws on unequal lengths; a truncated row is a mismatch, not a crash.
    if (verifier.length !== expected.length || !timingSafeEqual(verifier, expected)) {
      throw new CryptoError(
        CryptoErrorCode.MASTER_KEY_MISMATCH,
        `PANTHEON_MASTER_KEYS version ${version} does not match the key this database was encrypted with; refusing to start`,
      );
    }
  }
}
