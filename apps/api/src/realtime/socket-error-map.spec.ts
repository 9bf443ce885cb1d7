import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, AuthErrorCode, rateLimited } from '@pantheon/auth';
import { handshakeError, handshakeRefusal } from './socket-error-map';

describe('handshakeRefusal', () => {
  it('tells a refused client only unauthorized or forbidden, never the reason', () => {
    assert.equal(handshakeRefusal(new AuthError(AuthErrorCode.MISSING_TOKEN, 'no token', 'header absent')), 'unauthorized');
    assert.equal(handshakeRefusal(new AuthError(AuthErrorCode.INVALID_TOKEN, 'bad', 'kid unknown')), 'unauthorized');
    assert.equal(handshakeRefusal(new AuthError(AuthErrorCode.FORBIDDEN, 'no role', 'missing pantheon-user')), 'forbidden');
  });

  it('tells a limited client when to retry', () => {
    const err = handshakeError(rateLimited(9.5, 'handshake limit'));
    assert.equal(err.message, 'too many requests');
    assert.deepEqual(err.data, { retryAfter: 10 });
    assert.equal(handshakeError(new AuthError(AuthErrorCode.INVALID_TOKEN, 'bad')).data, undefined);
  });

  it('answers unavailable when authentication itself failed', () => {
    assert.equal(handshakeRefusal(new Error('connect ECONNREFUSED 127.0.0.1:5432')), 'unavailable');
  });
});
