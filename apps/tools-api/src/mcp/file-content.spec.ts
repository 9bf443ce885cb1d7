import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUtf8, isBase64 } from './file-content';

describe('decodeUtf8', () => {
  it('decodes UTF-8 and refuses other bytes', () => {
    assert.deepEqual(decodeUtf8(Buffer.from('héllo ✓', 'utf8'), false), { text: 'héllo ✓', bytes: 9 + 1 });
    assert.equal(decodeUtf8(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]), false), null);
  });

  it('leaves out a character split by the end of a truncated read', () => {
    const full = Buffer.from('ab✓', 'utf8'); // ✓ is 3 bytes
    const cut = full.subarray(0, 4);
    assert.equal(decodeUtf8(cut, false), null, 'a complete read ending mid-character is not text');
    assert.deepEqual(decodeUtf8(cut, true), { text: 'ab', bytes: 2 });
  });
});

describe('isBase64', () => {
  it('accepts padded base64 only', () => {
    for (const good of ['', 'aGk=', 'aGVsbG8=', 'AAEC', 'ab+/']) assert.equal(isBase64(good), true, good);
    for (const bad of ['aGk', 'a===', 'héllo', 'aG k=', 'aGk=\n']) assert.equal(isBase64(bad), false, bad);
  });
});
