import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SocketRateLimiter } from './socket-rate.limiter';

describe('SocketRateLimiter', () => {
  it('allows `limit` requests per window and socket, then refuses until the window ends', () => {
    const limiter = new SocketRateLimiter(3, 1000);
    const a = {};
    const b = {};
    assert.deepEqual([0, 1, 2, 3, 999].map((t) => limiter.allow(a, t)), [true, true, true, false, false]);
    assert.equal(limiter.allow(b, 500), true, 'another socket has its own window');
    assert.equal(limiter.allow(a, 1000), true, 'a new window starts');
  });
});
