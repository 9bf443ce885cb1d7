import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testUsername } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer, unsignedToken } from '../support/oidc';

describe('auth: Keycloak bearer tokens (keycloak-connect, bearer-only)', () => {
  let issuer: OidcIssuerHandle;
  let api: TestApi;
  const admin = adminPool();

  before(async () => {
    issuer = await startOidcIssuer();
    api = await startTestApi(issuer);
  });
  after(async () => {
    await api?.close();
    await issuer?.stop();
    await admin.end();
  });

  const me = (authorization?: string) => {
    const req = api.http().get('/api/user/me');
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  async function expect401(authorization: string | undefined): Promise<void> {
    const res = await me(authorization);
    assert.equal(res.status, 401, `expected 401, got ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.statusCode, 401);
    assert.equal(res.body.error, 'Unauthorized');
    assert.equal(typeof res.body.message, 'string');
  }

  it('rejects a request without a token', async () => {
    await expect401(undefined);
  });

  it('rejects malformed Authorization headers and non-JWT tokens', async () => {
    for (const header of ['Bearer', 'Basic dXNlcjpwYXNz', 'Bearer not-a-jwt', 'Bearer a.b', `Bearer ${'x'.repeat(5000)}.${'y'.repeat(5000)}.z`, 'Bearer a.b.c d']) {
      await expect401(header);
    }
  });

  it('rejects an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...issuer.baseClaims(testUsername()), iat: now - 600, exp: now - 60 };
    await expect401(`Bearer ${await issuer.sign(claims)}`);
  });

  it('rejects a token from another issuer', async () => {
    const claims = { ...issuer.baseClaims(testUsername()), iss: 'http://127.0.0.1:9/realms/pantheon' };
    await expect401(`Bearer ${await issuer.sign(claims)}`);
    const otherRealm = { ...issuer.baseClaims(testUsername()), iss: issuer.issuer.replace(/pantheon$/, 'other') };
    await expect401(`Bearer ${await issuer.sign(otherRealm)}`);
  });

  it('rejects a token for another audience', async () => {
    const claims = { ...issuer.baseClaims(testUsername()), aud: ['account', 'some-other-api'] };
    await expect401(`Bearer ${await issuer.sign(claims)}`);
  });

  it('rejects a bad signature, alg none and HS256 key confusion', async () => {
    const claims = issuer.baseClaims(testUsername());
    await expect401(`Bearer ${await issuer.sign(claims, { key: 'foreign' })}`);
    await expect401(`Bearer ${unsignedToken(claims)}`);
    await expect401(`Bearer ${await issuer.sign(claims, { alg: 'HS256' })}`);
    const valid = await issuer.sign(claims);
    const [h, p] = valid.split('.');
    await expect401(`Bearer ${h}.${p}.`);
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, realm_access: { roles: ['pantheon-user', 'pantheon-admin'] } })).toString('base64url');
    await expect401(`Bearer ${h}.${tamperedPayload}.${valid.split('.')[2]}`);
  });

  it('rejects tokens that are not access tokens (typ) or not yet valid (nbf)', async () => {
    await expect401(`Bearer ${await issuer.sign({ ...issuer.baseClaims(testUsername()), typ: 'ID' })}`);
    const nbf = Math.floor(Date.now() / 1000) + 3600;
    await expect401(`Bearer ${await issuer.sign({ ...issuer.baseClaims(testUsername()), nbf })}`);
  });

  it('answers 403 when the platform role is missing, naming the role', async () => {
    const token = await issuer.token(testUsername('norole'), { roles: ['offline_access'] });
    const res = await me(`Bearer ${token}`);
    assert.equal(res.status, 403);
    assert.equal(res.body.error, 'Forbidden');
    assert.match(res.body.message, /pantheon-user/);
  });

  it('accepts a valid token and upserts the user with the token profile', async () => {
    const username = testUsername('valid');
    const token = await issuer.token(username);
    const res = await me(`Bearer ${token}`).expect(200);
    const claims = issuer.baseClaims(username);
    assert.equal(res.body.email, claims.email);
    assert.equal(res.body.name, claims.name);
    assert.equal(res.body.picture_url, claims.picture);
    assert.deepEqual(res.body.roles, ['pantheon-user']);
    const { rows } = await admin.query('select * from users where keycloak_sub = $1', [claims.sub]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].id, res.body.id);
    assert.equal(rows[0].email, claims.email);
    assert.equal(rows[0].name, claims.name);
    assert.equal(rows[0].picture_url, claims.picture);
  });

  it('keeps one row per subject under concurrent first requests, and refreshes a changed profile', async () => {
    const username = testUsername('race');
    const token = await issuer.token(username);
    const results = await Promise.all(Array.from({ length: 8 }, () => me(`Bearer ${token}`)));
    assert.deepEqual(results.map((r) => r.status), Array(8).fill(200));
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    const claims = issuer.baseClaims(username);
    const { rows } = await admin.query('select count(*)::int as n from users where keycloak_sub = $1', [claims.sub]);
    assert.equal(rows[0].n, 1);

    const renamed = await issuer.sign({ ...claims, name: 'Renamed Person', email: 'renamed@test.local' });
    const res = await me(`Bearer ${renamed}`).expect(200);
    assert.equal(res.body.name, 'Renamed Person');
    const after = await admin.query('select name, email from users where keycloak_sub = $1', [claims.sub]);
    assert.deepEqual(after.rows[0], { name: 'Renamed Person', email: 'renamed@test.local' });
  });

  it('audits the first request as user.created and each new session as user.login', async () => {
    const username = testUsername('login');
    const first = await issuer.token(username);
    const { body: meBody } = await me(`Bearer ${first}`).expect(200);
    await me(`Bearer ${first}`).expect(200); // same session: no new entry
    const second = await issuer.token(username); // a new password grant = a new Keycloak session (sid)
    await me(`Bearer ${second}`).expect(200);
    const audit = await api.as({ token: second }).get('/api/user/audit').expect(200);
    const actions = audit.body.data.map((e: { action: string }) => e.action).reverse();
    assert.deepEqual(actions, ['user.created', 'user.login']);
    assert.equal(audit.body.data[0].target_id, meBody.id);
  });

  it('lets public routes through without a token', async () => {
    await api.http().get('/health').expect(200);
    await api.http().get('/ready').expect(200);
  });
});
