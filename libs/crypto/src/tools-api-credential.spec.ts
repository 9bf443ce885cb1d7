import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyRing } from './key-ring';
import { toolsApiCredential } from './tools-api-credential';

const A = '0b9f1c7e-4d6a-4f1e-9a51-1f2e3d4c5b6a';
const B = '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';

describe('toolsApiCredential', () => {
  it('is stable per project and master key, distinct across projects and keys', () => {
    const v1 = KeyRing.generateSpec(1);
    const ring = KeyRing.parse(v1);
    const a = toolsApiCredential(ring, A);
    assert.match(a, /^tac_[A-Za-z0-9_-]{43}$/);
    assert.equal(toolsApiCredential(KeyRing.parse(v1), A.toUpperCase()), a, 'same key, same project: same credential');
    assert.notEqual(toolsApiCredential(ring, B), a, 'another project gets another credential');
    assert.notEqual(toolsApiCredential(KeyRing.parse(KeyRing.generateSpec(1)), A), a, 'another master key, another credential');
    const rotated = KeyRing.parse(`${v1},${KeyRing.generateSpec(2)}`);
    assert.notEqual(toolsApiCredential(rotated, A), a, 'derived from the current version');
  });

  it('never contains the master key', () => {
    const spec = KeyRing.generateSpec(1);
    const raw = Buffer.from(spec.split(':')[1], 'base64');
    const credential = toolsApiCredential(KeyRing.parse(spec), A);
    assert.ok(!credential.includes(raw.toString('base64url')));
  });
});
