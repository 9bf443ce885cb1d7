import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { CryptoError, CryptoErrorCode } from './crypto.errors';
import type { KeyRing } from './key-ring';

// Changing any of these makes every stored ciphertext undecryptable; bump the `v1` labels instead.
const HKDF_SALT = 'pantheon/provider-keys/v1';
const DATA_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

/** A secret as stored: the master key version it was sealed under and `nonce ‖ encrypted ‖ tag`. */
export interface SealedSecret {
  keyVersion: number;
  ciphertext: Buffer;
}

export interface EncryptSecretInput {
  /** Owner of the secret; the data key is derived per user. */
  userId: string;
  plaintext: string;
  /** Binds the ciphertext to its row, e.g. `provider_key:<userId>:<keyId>`. */
  aad: string;
}

export interface DecryptSecretInput extends SealedSecret {
  userId: string;
  /** Must equal the `aad` given to {@link encryptSecret}. */
  aad: string;
}

/**
 * Seals `plaintext` under the ring's current master key with AES-256-GCM and a per-user
 * HKDF-SHA256 data key. A fresh random nonce is used on every call.
 */
export function encryptSecret(ring: KeyRing, input: EncryptSecretInput): SealedSecret {
  assertBinding(input.userId, input.aad);
  const keyVersion = ring.current;
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = withDataKey(ring, keyVersion, input.userId, (dataKey) =>
    createCipheriv(CIPHER, dataKey, nonce, { authTagLength: TAG_BYTES }),
  );
  cipher.setAAD(Buffer.from(input.aad, 'utf8'));
  const encrypted = Buffer.concat([cipher.update(input.plaintext, 'utf8'), cipher.final()]);
  return { keyVersion, ciphertext: Buffer.concat([nonce, encrypted, cipher.getAuthTag()]) };
}

/**
 * Opens a {@link SealedSecret}. Fails closed: any mismatch of master key, user, aad or a single
 * byte throws instead of returning data.
 *
 * @throws CryptoError `KEY_VERSION_UNKNOWN` if `keyVersion` is not configured,
 *   `DECRYPT_FAILED` if authentication fails.
 */
export function decryptSecret(ring: KeyRing, input: DecryptSecretInput): string {
  assertBinding(input.userId, input.aad);
  const { keyVersion, ciphertext } = input;
  ring.get(keyVersion); // surfaces KEY_VERSION_UNKNOWN before any length check hides it
  if (ciphertext.length < NONCE_BYTES + TAG_BYTES) {
    throw decryptFailed(keyVersion);
  }
  const nonce = ciphertext.subarray(0, NONCE_BYTES);
  const encrypted = ciphertext.subarray(NONCE_BYTES, ciphertext.length - TAG_BYTES);
  const tag = ciphertext.subarray(ciphertext.length - TAG_BYTES);
  const decipher = withDataKey(ring, keyVersion, input.userId, (dataKey) =>
    createDecipheriv(CIPHER, dataKey, nonce, { authTagLength: TAG_BYTES }),
  );
  decipher.setAAD(Buffer.from(input.aad, 'utf8'));
  decipher.setAuthTag(tag);
  const head = decipher.update(encrypted);
  let plaintext: Buffer;
  try {
    // GCM releases unauthenticated output from update(); only final() proves integrity.
    plaintext = Buffer.concat([head, decipher.final()]);
  } catch {
    head.fill(0);
    // The OpenSSL message carries nothing useful and is deliberately not chained as a cause.
    throw decryptFailed(keyVersion);
  }
  head.fill(0);
  const text = plaintext.toString('utf8');
  plaintext.fill(0);
  return text;
}

/**
 * Decrypts under the stored version and seals again under `ring.current` (key rotation).
 * The row binding (`userId`, `aad`) is unchanged.
 */
export function reencryptSecret(ring: KeyRing, input: DecryptSecretInput): SealedSecret {
  const plaintext = decryptSecret(ring, input);
  return encryptSecret(ring, { userId: input.userId, plaintext, aad: input.aad });
}

/**
 * Derives the per-user data key, hands it to `use` and wipes it afterwards. Cipher objects copy
 * the key at construction, so `use` must build one and not keep the buffer.
 *
 * Not cached: HKDF costs ~10 µs, and a cache would keep thousands of user keys resident.
 */
function withDataKey<T extends CipherGCM | DecipherGCM>(
  ring: KeyRing,
  version: number,
  userId: string,
  use: (dataKey: Buffer) => T,
): T {
  const dataKey = Buffer.from(hkdfSync('sha256', ring.get(version), HKDF_SALT, `user:${userId}`, DATA_KEY_BYTES));
  try {
    return use(dataKey);
  } finally {
    dataKey.fill(0);
  }
}

// An empty userId or aad would silently drop the per-user key or the row binding: a caller bug.
function assertBinding(userId: string, aad: string): void {
  if (userId === '') {
    throw new TypeError('userId must be a non-empty string');
  }
  if (aad === '') {
    throw new TypeError('aad must be a non-empty string');
  }
}

function decryptFailed(version: number): CryptoError {
  return new CryptoError(
    CryptoErrorCode.DECRYPT_FAILED,
    `provider key could not be decrypted: wrong master key or tampered data (master key version ${version})`,
  );
}
