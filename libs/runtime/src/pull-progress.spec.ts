import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PullProgress, pullStreamError } from './pull-progress';

describe('PullProgress', () => {
  it('reports bytes of layers with a known size, never going back, and stops short of 100', () => {
    const p = new PullProgress();
    assert.equal(p.update({ id: 'a', status: 'Pulling fs layer' }), null);
    assert.equal(p.update({ id: 'b', status: 'Pulling fs layer' }), null);
    assert.equal(p.update({ id: 'a', status: 'Downloading', progressDetail: { current: 50, total: 100 } }), 50);
    // b's size appears: 50 of 300 bytes is less than before, so nothing is reported.
    assert.equal(p.update({ id: 'b', status: 'Downloading', progressDetail: { current: 0, total: 200 } }), null);
    assert.equal(p.update({ id: 'a', status: 'Pull complete' }), null);
    assert.equal(p.update({ id: 'b', status: 'Downloading', progressDetail: { current: 150, total: 200 } }), 83);
    assert.equal(p.update({ id: 'b', status: 'Pull complete' }), 99);
  });

  it('counts finished layers when no size is ever given (a local registry may send none)', () => {
    const p = new PullProgress();
    p.update({ id: 'a', status: 'Pulling fs layer' });
    p.update({ id: 'b', status: 'Pulling fs layer' });
    assert.equal(p.update({ id: 'a', status: 'Already exists' }), 50);
    assert.equal(p.update({ id: 'b', status: 'Pull complete' }), 99);
  });

  it('ignores events without a layer id (digest and status lines)', () => {
    const p = new PullProgress();
    assert.equal(p.update({ status: 'Digest: sha256:abc' }), null);
    assert.equal(p.update({ status: 'Status: Downloaded newer image for x' }), null);
  });

  it('reads the error of a failed pull from either field', () => {
    assert.equal(pullStreamError({ error: 'manifest unknown' }), 'manifest unknown');
    assert.equal(pullStreamError({ errorDetail: { message: 'denied' } }), 'denied');
    assert.equal(pullStreamError({ status: 'Downloading' }), null);
  });
});
