import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { CryptoErrorCode } from './crypto.errors';
import { KeyRing } from './key-ring';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);

function configError(message: string | RegExp) {
  return { name: 'CryptoError', code: CryptoErrorCode.MASTER_KEY_CONFIG, message };
}

describe('KeyRing.parse', () => {
  it('parses base64 and base64url entries with surrounding whitespace', () => {
    const ring = KeyRing.parse(` 2 : ${KEY_B.toString('base64url')} ,\n1:${KEY_A.toString('base64')}  `);
    assert.deepEqual(ring.versions, [1, 2]);
    assert.equal(ring.current, 2);
    assert.ok(ring.has(1) && ring.has(2) && !ring.has(3));
    assert.deepEqual(ring.get(1).export(), KEY_A);
    assert.deepEqual(ring.get(2).export(), KEY_B);
  });

  it('takes the highest version as current regardless of order', () => {
    const ring = KeyRing.parse(`7:${KEY_A.toString('base64')},3:${KEY_B.toString('base64')}`);
    assert.equal(ring.current, 7);
    assert.deepEqual(ring.versions, [3, 7]);
  });

  it('rejects an empty spec', () => {
    assert.throws(() => KeyRing.parse('  '), configError('PANTHEON_MASTER_KEYS is empty; expected <version>:<base64 32-byte key>[,...]'));
  });

  it('rejects an entry without a version and does not echo it', () => {
    const bare = KEY_A.toString('base64');
    assert.throws(() => KeyRing.parse(bare), (err: Error) => {
      assert.match(err.message, /entry 1 must have the form <version>:<base64 32-byte key>/);
      assert.ok(!err.message.includes(bare));
      return true;
    });
  });

  it('rejects an empty entry such as a trailing comma', () => {
    assert.throws(() => KeyRing.parse(`1:${KEY_A.toString('base64')},`), configError(/entry 2 must have the form/));
  });

  for (const version of ['0', '-1', 'abc', '1.5', '01', '', '99999999999999999999']) {
    it(`rejects version ${JSON.stringify(version)}`, () => {
      assert.throws(
        () => KeyRing.parse(`1:${KEY_A.toString('base64')},${version}:${KEY_B.toString('base64')}`),
        configError('PANTHEON_MASTER_KEYS entry 2 has an invalid version; expected a positive integer'),
      );
    });
  }

  it('rejects a duplicate version', () => {
    assert.throws(
      () => KeyRing.parse(`1:${KEY_A.toString('base64')},1:${KEY_B.toString('base64')}`),
      configError('PANTHEON_MASTER_KEYS lists master key version 1 more than once'),
    );
  });

  it('rejects a key of the wrong length without echoing it', () => {
    const short = randomBytes(16).toString('base64');
    assert.throws(() => KeyRing.parse(`1:${KEY_A.toString('base64')},2:${short}`), (err: Error) => {
      assert.equal(err.message, 'master key version 2 must decode to 32 bytes, got 16');
      assert.ok(!err.message.includes(short));
      return true;
    });
    assert.throws(() => KeyRing.parse(`1:${randomBytes(33).toString('base64')}`), configError(/got 33$/));
  });

  it('rejects characters outside base64 instead of silently skipping them', () => {
    const typo = `${KEY_A.toString('base64').slice(0, 20)}!${KEY_A.toString('base64').slice(20)}`;
    assert.throws(() => KeyRing.parse(`4:${typo}`), (err: Error) => {
      assert.equal(err.message, 'master key version 4 in PANTHEON_MASTER_KEYS is not valid base64 or base64url');
      assert.ok(!err.message.includes(typo));
      return true;
    });
    assert.throws(() => KeyRing.parse('4:'), configError(/version 4 .* not valid base64/));
  });
});

describe('KeyRing.get', () => {
  it('throws KEY_VERSION_UNKNOWN for an unconfigured version', () => {
    const ring = KeyRing.parse(KeyRing.generateSpec());
    assert.throws(() => ring.get(3), {
      code: CryptoErrorCode.KEY_VERSION_UNKNOWN,
      message: 'provider key was encrypted with master key version 3, which is not configured in PANTHEON_MASTER_KEYS',
    });
  });
});

describe('KeyRing.generateSpec', () => {
  it('produces a parseable random spec for the requested version', () => {
    const spec = KeyRing.generateSpec(5);
    assert.match(spec, /^5:[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(KeyRing.parse(spec).versions, [5]);
    assert.notEqual(KeyRing.generateSpec(), KeyRing.generateSpec());
    assert.match(KeyRing.generateSpec(), /^1:/);
  });

  it('rejects a non-positive version', () => {
    assert.throws(() => KeyRing.generateSpec(0), configError('master key version must be a positive integer'));
    assert.throws(() => KeyRing.generateSpec(1.5), configError(/positive integer/));
  });
});

describe('KeyRing when logged', () => {
  const ring = KeyRing.parse(`1:${KEY_A.toString('base64')},2:${KEY_B.toString('base64url')}`);
  const encodings = [KEY_A, KEY_B].flatMap((key) => [key.toString('base64'), key.toString('base64url'), key.toString('hex')]);

  it('serialises to versions only', () => {
    const json = JSON.stringify(ring);
    assert.equal(json, '{"versions":[1,2],"current":2}');
    assert.equal(JSON.stringify({ ring }), '{"ring":{"versions":[1,2],"current":2}}');
  });

  it('inspects to versions only, even bypassing the custom inspector', () => {
    assert.equal(inspect(ring), 'KeyRing { versions: [1, 2], current: 2 }');
    const views = [
      inspect(ring),
      inspect({ nested: ring }, { depth: Infinity }),
      inspect(ring, { showHidden: true, depth: Infinity, customInspect: false }),
      String(Object.keys(ring)),
    ];
    for (const view of views) {
      for (const encoded of encodings) {
        assert.ok(!view.includes(encoded), `key material leaked into ${view}`);
      }
    }
    assert.deepEqual(Object.keys(ring), []);
  });
});
