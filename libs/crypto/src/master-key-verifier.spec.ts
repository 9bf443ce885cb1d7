import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CryptoErrorCode } from './crypto.errors';
import { KeyRing } from './key-ring';
import { assertMasterKeysMatch, masterKeyVerifier } from './master-key-verifier';

const SPEC_1 = KeyRing.generateSpec(1);
const SPEC_2 = KeyRing.generateSpec(2);

describe('masterKeyVerifier', () => {
  it('is a deterministic 32-byte value that differs per key', () => {
    const ring = KeyRing.parse(`${SPEC_1},${SPEC_2}`);
    const v1 = masterKeyVerifier(ring, 1);
    assert.equal(v1.length, 32);
    assert.deepEqual(v1, masterKeyVerifier(KeyRing.parse(SPEC_1), 1));
    assert.notDeepEqual(v1, masterKeyVerifier(ring, 2));
  });

  it('throws KEY_VERSION_UNKNOWN for an unconfigured version', () => {
    assert.throws(() => masterKeyVerifier(KeyRing.parse(SPEC_1), 2), { code: CryptoErrorCode.KEY_VERSION_UNKNOWN });
  });
});

describe('assertMasterKeysMatch', () => {
  const ring = KeyRing.parse(`${SPEC_1},${SPEC_2}`);
  const stored = [1, 2].map((version) => ({ version, verifier: masterKeyVerifier(ring, version) }));

  it('accepts matching verifiers, nothing stored yet, and retired versions', () => {
    assertMasterKeysMatch(ring, stored);
    assertMasterKeysMatch(ring, []);
    assertMasterKeysMatch(KeyRing.parse(SPEC_2), stored);
  });

  it('names the version whose key differs', () => {
    const wrong = KeyRing.parse(`${SPEC_1},${KeyRing.generateSpec(2)}`);
    assert.throws(() => assertMasterKeysMatch(wrong, stored), {
      name: 'CryptoError',
      code: CryptoErrorCode.MASTER_KEY_MISMATCH,
      message: 'PANTHEON_MASTER_KEYS version 2 does not match the key this database was encrypted with; refusing to start',
    });
  });

  it('treats a truncated verifier as a mismatch', () => {
    const truncated = [{ version: 1, verifier: stored[0]!.verifier.subarray(0, 16) }];
    assert.throws(() => assertMasterKeysMatch(ring, truncated), {
      code: CryptoErrorCode.MASTER_KEY_MISMATCH,
      message: /version 1 does not match/,
    });
  });
});
