/**
 * The API's per-process auth caches (verified tokens, subject → user) never make it accept what it would
 * refuse without them: a token without the role, an expired token, a changed profile, a forged copy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { testUsername } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

describe('auth caches: bounded staleness', () => {
  let issuer: OidcIssuerHandle;
  let api: TestApi;

  before(async () => {
    issuer = await startOidcIssuer();
    // The defaults (60 s tokens, 30 s users), stated so the test does not depend on them changing.
    api = await startTestApi(issuer, { AUTH_TOKEN_CACHE_TTL_S: '60', AUTH_USER_CACHE_TTL_S: '30' });
  });
  after(async () => {
    await api?.close();
    await issuer?.stop();
  });

  const me = (token: string) => api.http().get('/api/user/me').set('Authorization', `Bearer ${token}`);

  it('a removed role loses access with the next token, while the user is cached', async () => {
    const username = testUsername('role');
    const withRole = await issuer.token(username);
    await me(withRole).expect(200);
    await me(withRole).expect(200); // now cached: token and user
    const withoutRole = await issuer.token(username, { roles: ['offline_access'] });
    const res = await me(withoutRole);
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.match(res.body.message, /Missing required role: pantheon-user/);
    // A role the route needs is judged per token too: the first token still carries its role until it expires.
    await me(withRole).expect(200);
  });

  it('a cached token is refused once it expires', async () => {
    const username = testUsername('exp');
    const claims = issuer.baseClaims(username);
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await issuer.sign({ ...claims, iat: now, exp: now + 2 });
    await me(shortLived).expect(200);
    await me(shortLived).expect(200);
    await delay(2600);
    const res = await me(shortLived);
    assert.equal(res.status, 401, JSON.stringify(res.body));
  });

  it('a changed profile claim is seen at once (the user row is refreshed, not served from the cache)', async () => {
    const username = testUsername('profile');
    const claims = issuer.baseClaims(username);
    const first = await issuer.sign(claims);
    const a = await me(first).expect(200);
    assert.equal(a.body.email, claims.email);
    const renamed = await issuer.sign({ ...claims, email: `renamed-${username}@test.local`, name: 'Renamed Person' });
    const b = await me(renamed).expect(200);
    assert.equal(b.body.id, a.body.id);
    assert.equal(b.body.email, `renamed-${username}@test.local`);
    assert.equal(b.body.name, 'Renamed Person');
    // And the old token, still valid, shows the profile its own claims name (no cross-token reuse).
    const c = await me(first).expect(200);
    assert.equal(c.body.email, claims.email);
  });

  it('a cached token does not vouch for a token that differs from it (a forged signature is verified in full)', async () => {
    const username = testUsername('forge');
    const good = await issuer.sign(issuer.baseClaims(username));
    await me(good).expect(200);
    const [header, payload, signature] = good.split('.');
    const flipped = signature.slice(0, -2) + (signature.slice(-2) === 'AA' ? 'AB' : 'AA');
    assert.equal((await me(`${header}.${payload}.${flipped}`)).status, 401);
    const foreign = await issuer.sign(issuer.baseClaims(username), { key: 'foreign' });
    assert.equal((await me(foreign)).status, 401);
  });
});
