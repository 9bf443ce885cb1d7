import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, AuthErrorCode } from '@pantheon/auth';
import { handshakeToken } from './socket-auth.service';

const code = (fn: () => unknown): AuthErrorCode | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof AuthError);
    return err.code;
  }
};

describe('handshakeToken', () => {
  it('takes auth.token first (tolerating a Bearer prefix), else the Authorization header', () => {
    assert.equal(handshakeToken({ auth: { token: 'a.b.c' }, headers: { authorization: 'Bearer x.y.z' } }), 'a.b.c');
    assert.equal(handshakeToken({ auth: { token: 'Bearer a.b.c' }, headers: {} }), 'a.b.c');
    assert.equal(handshakeToken({ auth: {}, headers: { authorization: 'Bearer x.y.z' } }), 'x.y.z');
  });

  it('refuses a missing, empty, non-string or malformed token', () => {
    assert.equal(code(() => handshakeToken({ auth: {}, headers: {} })), AuthErrorCode.MISSING_TOKEN);
    assert.equal(code(() => handshakeToken({ auth: { token: '' }, headers: {} })), AuthErrorCode.INVALID_TOKEN);
    assert.equal(code(() => handshakeToken({ auth: { token: { raw: 'a.b.c' } }, headers: {} })), AuthErrorCode.INVALID_TOKEN);
    assert.equal(code(() => handshakeToken({ auth: {}, headers: { authorization: 'Basic dTpw' } })), AuthErrorCode.INVALID_TOKEN);
  });
});
