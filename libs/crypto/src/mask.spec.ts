import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { fingerprint, last4, maskSecret } from './mask';

// Fake keys are assembled at run time (the body is random), so nothing key-shaped is committed.
const fakeKey = (prefix: string, tail: string): string => `${prefix}${randomBytes(12).toString('hex')}${tail}`;
const OPENROUTER = fakeKey('sk-or-v1-', 'a1b2');

describe('last4', () => {
  it('returns the last four characters of a long secret', () => {
    assert.equal(last4(OPENROUTER), 'a1b2');
    assert.equal(last4('abcdefgh1234'), '1234');
  });

  it('reveals nothing for secrets shorter than 12 characters', () => {
    for (const secret of ['', 'abc', 'abcdefgh123']) {
      assert.equal(last4(secret), '');
    }
  });
});

describe('fingerprint', () => {
  it('is sha256: plus 16 hex chars of the labelled per-user digest', () => {
    const expected = createHash('sha256').update(`pantheon/key-fingerprint/v1\0user-a\0${OPENROUTER}`).digest('hex');
    assert.equal(fingerprint('user-a', OPENROUTER), `sha256:${expected.slice(0, 16)}`);
    assert.match(fingerprint('user-a', OPENROUTER), /^sha256:[0-9a-f]{16}$/);
  });

  it('is stable, per user and per secret', () => {
    assert.equal(fingerprint('user-a', OPENROUTER), fingerprint('user-a', OPENROUTER));
    assert.notEqual(fingerprint('user-a', OPENROUTER), fingerprint('user-b', OPENROUTER));
    assert.notEqual(fingerprint('user-a', OPENROUTER), fingerprint('user-a', `${OPENROUTER}x`));
  });

  it('cannot be shifted between the user id and the secret', () => {
    assert.notEqual(fingerprint('user-a', 'bcdefghijklmnop'), fingerprint('user-ab', 'cdefghijklmnop'));
  });
});

describe('maskSecret', () => {
  const cases: Array<[string, string]> = [
    [OPENROUTER, 'sk-or-…a1b2'],
    [fakeKey('sk-proj-', 'wxyz'), 'sk-…wxyz'],
    [fakeKey('sk-ant-api03-', '-wxyz'), 'sk-…wxyz'],
    [fakeKey('gsk_', 'wxyz'), 'gsk_…wxyz'],
    [fakeKey('AIza', 'wxyz'), '…wxyz'],
    ['sk-or-abcdwxyz', '…wxyz'],
    ['abcdefgh1234', '…1234'],
    ['abcdefgh123', '****'],
    ['', '****'],
  ];
  for (const [secret, masked] of cases) {
    it(`masks ${secret.length} chars as ${masked}`, () => {
      assert.equal(maskSecret(secret), masked);
    });
  }

  it('always hides at least 8 characters', () => {
    for (const [secret] of cases) {
      const masked = maskSecret(secret);
      const shown = masked === '****' ? 0 : masked.length - 1;
      assert.ok(secret.length - shown >= 8 || masked === '****', masked);
    }
  });
});
