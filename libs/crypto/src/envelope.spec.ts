import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { CryptoErrorCode } from './crypto.errors';
import { decryptSecret, encryptSecret, reencryptSecret } from './envelope';
import { KeyRing } from './key-ring';

const USER = '4f1c2a9e-0000-4000-8000-000000000001';
const OTHER_USER = '4f1c2a9e-0000-4000-8000-000000000002';
const AAD = `provider_key:${USER}:key-1`;
const PLAINTEXT = `sk-or-v1-canary-${randomBytes(8).toString('hex')}-ünïcødé`;

const decryptFailed = (version: number) => ({
  name: 'CryptoError',
  code: CryptoErrorCode.DECRYPT_FAILED,
  message: `provider key could not be decrypted: wrong master key or tampered data (master key version ${version})`,
});

function seal(ring: KeyRing) {
  return encryptSecret(ring, { userId: USER, plaintext: PLAINTEXT, aad: AAD });
}

describe('encryptSecret / decryptSecret', () => {
  const master1 = randomBytes(32);
  const ring = KeyRing.parse(`1:${master1.toString('base64')}`);

  it('round-trips under the current version', () => {
    const sealed = seal(ring);
    assert.equal(sealed.keyVersion, 1);
    assert.equal(sealed.ciphertext.length, 12 + Buffer.byteLength(PLAINTEXT) + 16);
    assert.ok(!sealed.ciphertext.includes(Buffer.from(PLAINTEXT)));
    assert.equal(decryptSecret(ring, { userId: USER, aad: AAD, ...sealed }), PLAINTEXT);
  });

  it('follows the documented format: HKDF-SHA256 data key, AES-256-GCM, nonce ‖ encrypted ‖ tag', () => {
    const { ciphertext } = seal(ring);
    const dataKey = Buffer.from(hkdfSync('sha256', master1, 'pantheon/provider-keys/v1', `user:${USER}`, 32));
    const decipher = createDecipheriv('aes-256-gcm', dataKey, ciphertext.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(AAD));
    decipher.setAuthTag(ciphertext.subarray(-16));
    const opened = Buffer.concat([decipher.update(ciphertext.subarray(12, -16)), decipher.final()]);
    assert.equal(opened.toString('utf8'), PLAINTEXT);
  });

  it('uses a fresh nonce on every call', () => {
    const first = seal(ring).ciphertext;
    const second = seal(ring).ciphertext;
    assert.notDeepEqual(first, second);
    assert.notDeepEqual(first.subarray(0, 12), second.subarray(0, 12));
  });

  it('handles an empty plaintext', () => {
    const sealed = encryptSecret(ring, { userId: USER, plaintext: '', aad: AAD });
    assert.equal(decryptSecret(ring, { userId: USER, aad: AAD, ...sealed }), '');
  });

  it('fails for another user', () => {
    const sealed = seal(ring);
    assert.throws(() => decryptSecret(ring, { userId: OTHER_USER, aad: AAD, ...sealed }), decryptFailed(1));
  });

  it('fails when moved to another row', () => {
    const sealed = seal(ring);
    assert.throws(
      () => decryptSecret(ring, { userId: USER, aad: `provider_key:${USER}:key-2`, ...sealed }),
      decryptFailed(1),
    );
  });

  it('fails on any tampered byte in nonce, body or tag, and on truncation', () => {
    const sealed = seal(ring);
    for (const index of [0, 11, 12, sealed.ciphertext.length - 17, sealed.ciphertext.length - 1]) {
      const tampered = Buffer.from(sealed.ciphertext);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      assert.throws(
        () => decryptSecret(ring, { userId: USER, aad: AAD, keyVersion: 1, ciphertext: tampered }),
        decryptFailed(1),
        `byte ${index}`,
      );
    }
    for (const length of [0, 27, sealed.ciphertext.length - 1]) {
      assert.throws(
        () => decryptSecret(ring, { userId: USER, aad: AAD, keyVersion: 1, ciphertext: sealed.ciphertext.subarray(0, length) }),
        decryptFailed(1),
        `length ${length}`,
      );
    }
  });

  it('fails under a different master key with the same version', () => {
    const sealed = seal(ring);
    const impostor = KeyRing.parse(KeyRing.generateSpec(1));
    assert.throws(() => decryptSecret(impostor, { userId: USER, aad: AAD, ...sealed }), decryptFailed(1));
  });

  it('fails when the stored version points at another configured key', () => {
    const rotated = KeyRing.parse(`1:${master1.toString('base64')},${KeyRing.generateSpec(2)}`);
    const sealed = seal(rotated);
    assert.equal(sealed.keyVersion, 2);
    assert.throws(
      () => decryptSecret(rotated, { userId: USER, aad: AAD, keyVersion: 1, ciphertext: sealed.ciphertext }),
      decryptFailed(1),
    );
  });

  it('reports an unconfigured version as KEY_VERSION_UNKNOWN, before any length check', () => {
    for (const ciphertext of [seal(ring).ciphertext, Buffer.alloc(0)]) {
      assert.throws(() => decryptSecret(ring, { userId: USER, aad: AAD, keyVersion: 3, ciphertext }), {
        code: CryptoErrorCode.KEY_VERSION_UNKNOWN,
        message: /master key version 3, which is not configured/,
      });
    }
  });

  it('rejects empty bindings as caller bugs', () => {
    assert.throws(() => encryptSecret(ring, { userId: '', plaintext: PLAINTEXT, aad: AAD }), TypeError);
    assert.throws(() => encryptSecret(ring, { userId: USER, plaintext: PLAINTEXT, aad: '' }), TypeError);
    const sealed = seal(ring);
    assert.throws(() => decryptSecret(ring, { userId: '', aad: AAD, ...sealed }), TypeError);
  });
});

describe('reencryptSecret', () => {
  it('moves a secret to the newest version and it still decrypts', () => {
    const spec1 = KeyRing.generateSpec(1);
    const before = KeyRing.parse(spec1);
    const after = KeyRing.parse(`${spec1},${KeyRing.generateSpec(2)}`);
    const sealed = seal(before);

    const moved = reencryptSecret(after, { userId: USER, aad: AAD, ...sealed });
    assert.equal(moved.keyVersion, 2);
    assert.notDeepEqual(moved.ciphertext, sealed.ciphertext);
    assert.equal(decryptSecret(after, { userId: USER, aad: AAD, ...moved }), PLAINTEXT);
    assert.throws(() => decryptSecret(before, { userId: USER, aad: AAD, ...moved }), {
      code: CryptoErrorCode.KEY_VERSION_UNKNOWN,
    });
  });

  it('refuses to re-encrypt data it cannot authenticate', () => {
    const ring = KeyRing.parse(KeyRing.generateSpec(1));
    const sealed = seal(ring);
    assert.throws(() => reencryptSecret(ring, { userId: OTHER_USER, aad: AAD, ...sealed }), decryptFailed(1));
  });
});
