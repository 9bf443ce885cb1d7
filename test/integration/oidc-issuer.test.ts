import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import KeycloakConnect from 'keycloak-connect';
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { findRepoRoot, startOidcIssuer, unsignedToken, type OidcIssuerHandle } from '../support/oidc';

// keycloak-connect's token class has no typings of its own.
const KeycloakToken = require('keycloak-connect/middleware/auth-utils/token') as new (
  raw: string,
  clientId?: string,
) => KeycloakConnect.Token;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ALICE_SUB = 'a2132f13-7a42-4512-9980-41077521b4f9';
const SERVICE_ACCOUNT_SUB = '02158b6a-3cc3-49a1-8ea3-696905a6bb91';

/** Validates exactly as the API guard does: keycloak-connect, bearer-only, audience checked. */
function keycloakValidate(issuer: OidcIssuerHandle, raw: string): Promise<KeycloakConnect.Token> {
  const config = {
    realm: issuer.realm,
    'auth-server-url': issuer.authServerUrl,
    resource: 'pantheon-api',
    'bearer-only': true,
    'verify-token-audience': true,
    'ssl-required': 'none',
    'confidential-port': 0,
  };
  // A fresh instance per call, so each validation fetches the certs itself.
  const keycloak = new KeycloakConnect({}, config);
  return keycloak.grantManager.validateToken(new KeycloakToken(raw, 'pantheon-api'), 'Bearer');
}

async function postForm(url: string, fields: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(fields) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function getJson(url: string) {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return (await response.json()) as Record<string, unknown>;
}

describe('dev OIDC issuer (Keycloak-shaped realm)', () => {
  let issuer: OidcIssuerHandle;
  let tokenEndpoint: string;

  before(async () => {
    issuer = await startOidcIssuer();
    tokenEndpoint = `${issuer.issuer}/protocol/openid-connect/token`;
  });

  after(async () => {
    await issuer?.stop();
  });

  const passwordGrant = (fields: Record<string, string>) =>
    postForm(tokenEndpoint, { grant_type: 'password', client_id: 'pantheon-frontend', ...fields });

  describe('discovery and keys', () => {
    it('serves a discovery document with the Keycloak URL layout', async () => {
      assert.equal(issuer.issuer, `${issuer.authServerUrl}/realms/pantheon`);
      assert.equal(issuer.authServerUrl, `http://127.0.0.1:${issuer.port}`);
      const doc = await getJson(`${issuer.issuer}/.well-known/openid-configuration`);
      const oidc = `${issuer.issuer}/protocol/openid-connect`;
      assert.equal(doc.issuer, issuer.issuer);
      assert.equal(doc.jwks_uri, `${oidc}/certs`);
      assert.equal(doc.token_endpoint, `${oidc}/token`);
      assert.equal(doc.authorization_endpoint, `${oidc}/auth`);
      assert.equal(doc.userinfo_endpoint, `${oidc}/userinfo`);
      assert.equal(doc.end_session_endpoint, `${oidc}/logout`);
      assert.equal(doc.introspection_endpoint, `${oidc}/token/introspect`);
      assert.equal(doc.revocation_endpoint, `${oidc}/revoke`);
      for (const grant of ['password', 'refresh_token', 'client_credentials', 'authorization_code']) {
        assert.ok((doc.grant_types_supported as string[]).includes(grant), grant);
      }
    });

    it('publishes the RS256 signing key, with its kid and no private parts, at /certs', async () => {
      const { keys } = (await getJson(`${issuer.issuer}/protocol/openid-connect/certs`)) as {
        keys: Array<Record<string, unknown>>;
      };
      assert.equal(keys.length, 1);
      const [key] = keys;
      assert.equal(key!.kty, 'RSA');
      assert.equal(key!.alg, 'RS256');
      assert.equal(key!.use, 'sig');
      assert.equal(typeof key!.kid, 'string');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key![member], undefined);
    });

    it('writes the generated private key with mode 0600', async () => {
      const info = await stat(issuer.keyFile);
      assert.equal(info.mode & 0o777, 0o600);
    });

    it('answers 404 outside the realm', async () => {
      const response = await fetch(`${issuer.authServerUrl}/realms/other/.well-known/openid-configuration`);
      assert.equal(response.status, 404);
      await response.body?.cancel();
    });
  });

  describe('password grant', () => {
    it('issues a Keycloak-shaped RS256 access token for alice', async () => {
      const { status, body } = await passwordGrant({
        username: 'alice',
        password: 'alice-dev-password',
        scope: 'openid',
      });
      assert.equal(status, 200);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 300);
      assert.equal(body.scope, 'openid profile email');
      assert.equal(typeof body.refresh_token, 'string');
      assert.equal(typeof body.id_token, 'string');

      const raw = body.access_token as string;
      const header = decodeProtectedHeader(raw);
      const { keys } = (await getJson(`${issuer.issuer}/protocol/openid-connect/certs`)) as {
        keys: Array<{ kid: string }>;
      };
      assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', kid: keys[0]!.kid });

      const claims = decodeJwt(raw);
      assert.equal(claims.iss, issuer.issuer);
      assert.equal(claims.sub, ALICE_SUB);
      assert.equal(claims.typ, 'Bearer');
      assert.equal(claims.azp, 'pantheon-frontend');
      assert.deepEqual(claims.aud, ['pantheon-api', 'account']);
      assert.deepEqual(claims.realm_access, { roles: ['pantheon-user'] });
      assert.equal(claims.email, 'alice@pantheon.local');
      assert.equal(claims.email_verified, true);
      assert.equal(claims.name, 'Alice Anders');
      assert.equal(claims.preferred_username, 'alice');
      assert.equal(claims.given_name, 'Alice');
      assert.equal(claims.family_name, 'Anders');
      assert.equal(claims.picture, 'https://avatars.pantheon.local/alice.png');
      assert.equal(claims.scope, 'openid profile email');
      assert.match(claims.sid as string, UUID);
      assert.equal(typeof claims.jti, 'string');
      assert.equal(claims.client_id, undefined);
      assert.equal(claims.exp! - claims.iat!, 300);
      assert.ok(Math.abs(claims.iat! - Date.now() / 1000) < 60);
    });

    it('starts a new session id per login', async () => {
      const first = decodeJwt(await issuer.token('alice'));
      const second = decodeJwt(await issuer.token('alice'));
      assert.equal(first.sub, second.sub);
      assert.notEqual(first.sid, second.sid);
      assert.notEqual(first.jti, second.jti);
    });

    it('carries the realm roles of admins and of users without roles', async () => {
      assert.deepEqual(decodeJwt(await issuer.token('carol-admin')).realm_access, {
        roles: ['pantheon-user', 'pantheon-admin'],
      });
      assert.deepEqual(decodeJwt(await issuer.token('norole')).realm_access, { roles: ['offline_access'] });
    });

    it('rejects a wrong password or an unknown user with 401 invalid_grant, like Keycloak', async () => {
      const expected = { error: 'invalid_grant', error_description: 'Invalid user credentials' };
      for (const fields of [
        { username: 'alice', password: 'bob-dev-password' },
        { username: 'mallory', password: 'alice-dev-password' },
        { username: 'test-someone', password: 'not-the-test-password' },
      ]) {
        const { status, body } = await passwordGrant(fields);
        assert.equal(status, 401, fields.username);
        assert.deepEqual(body, expected);
      }
    });

    it('rejects unknown scopes and roles for non-test users', async () => {
      const scope = await passwordGrant({ username: 'alice', password: 'alice-dev-password', scope: 'openid admin' });
      assert.equal(scope.status, 400);
      assert.equal(scope.body.error, 'invalid_scope');
      const roles = await passwordGrant({ username: 'alice', password: 'alice-dev-password', roles: 'pantheon-admin' });
      assert.equal(roles.status, 400);
      assert.equal(roles.body.error, 'invalid_request');
    });
  });

  describe('test- users', () => {
    it('accepts any test- username with the test password and a deterministic profile', async () => {
      const claims = decodeJwt(await issuer.token('test-ada-1'));
      assert.match(claims.sub!, UUID);
      assert.equal(claims.sub, decodeJwt(await issuer.token('test-ada-1')).sub);
      assert.notEqual(claims.sub, decodeJwt(await issuer.token('test-ada-2')).sub);
      assert.equal(claims.sub, issuer.baseClaims('test-ada-1').sub);
      assert.equal(claims.email, 'test-ada-1@test.local');
      assert.equal(claims.name, 'Test test-ada-1');
      assert.equal(claims.preferred_username, 'test-ada-1');
      assert.equal(claims.picture, 'https://avatars.test.local/test-ada-1.png');
      assert.deepEqual(claims.realm_access, { roles: ['pantheon-user'] });
    });

    it('uses the roles given at login', async () => {
      const claims = decodeJwt(await issuer.token('test-ada-1', { roles: ['pantheon-admin', 'auditor'] }));
      assert.deepEqual(claims.realm_access, { roles: ['pantheon-admin', 'auditor'] });
    });
  });

  describe('refresh_token and client_credentials grants', () => {
    it('refreshes into a new access token for the same user and session', async () => {
      const login = await passwordGrant({ username: 'test-refresher', password: 'test-password', roles: 'r1' });
      const refreshed = await postForm(tokenEndpoint, {
        grant_type: 'refresh_token',
        client_id: 'pantheon-frontend',
        refresh_token: login.body.refresh_token as string,
      });
      assert.equal(refreshed.status, 200);
      const before: JWTPayload = decodeJwt(login.body.access_token as string);
      const after: JWTPayload = decodeJwt(refreshed.body.access_token as string);
      assert.equal(after.sub, before.sub);
      assert.equal(after.sid, before.sid);
      assert.notEqual(after.jti, before.jti);
      assert.equal(after.typ, 'Bearer');
      assert.deepEqual(after.realm_access, { roles: ['r1'] });
      await keycloakValidate(issuer, refreshed.body.access_token as string);
    });

    it('issues service-account tokens to pantheon-service', async () => {
      const { status, body } = await postForm(tokenEndpoint, {
        grant_type: 'client_credentials',
        client_id: 'pantheon-service',
        client_secret: 'pantheon-service-dev-secret',
      });
      assert.equal(status, 200);
      const claims = decodeJwt(body.access_token as string);
      assert.equal(claims.sub, SERVICE_ACCOUNT_SUB);
      assert.equal(claims.azp, 'pantheon-service');
      assert.equal(claims.client_id, 'pantheon-service');
      assert.equal(claims.preferred_username, 'service-account-pantheon-service');
      assert.deepEqual(claims.aud, ['pantheon-api']);
      assert.deepEqual(claims.realm_access, { roles: ['pantheon-service'] });
      await keycloakValidate(issuer, body.access_token as string);

      const wrongSecret = await postForm(tokenEndpoint, {
        grant_type: 'client_credentials',
        client_id: 'pantheon-service',
        client_secret: 'wrong',
      });
      assert.equal(wrongSecret.status, 401);
      assert.equal(wrongSecret.body.error, 'invalid_client');
    });
  });

  describe('keycloak-connect (bearer-only, verify-token-audience)', () => {
    it('accepts password-grant tokens', async () => {
      const validated = await keycloakValidate(issuer, await issuer.token('carol-admin'));
      assert.ok(validated.hasRealmRole('pantheon-admin'));
      assert.ok(!validated.hasRealmRole('pantheon-service'));
    });

    it('accepts tokens signed by sign() with the issuer key', async () => {
      await keycloakValidate(issuer, await issuer.sign(issuer.baseClaims('alice')));
      await keycloakValidate(issuer, await issuer.sign(issuer.baseClaims('test-crafted')));
    });

    it('rejects a token signed with a foreign key', async () => {
      const raw = await issuer.sign(issuer.baseClaims('alice'), { key: 'foreign' });
      await assert.rejects(keycloakValidate(issuer, raw), /invalid token \(public key signature\)/);
    });

    it('rejects a token whose kid the issuer never published', async () => {
      const raw = await issuer.sign(issuer.baseClaims('alice'), { key: 'foreign', kid: 'unknown-kid' });
      await assert.rejects(keycloakValidate(issuer, raw), /failed to load public key/);
    });

    it('rejects an expired token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const raw = await issuer.sign({ ...issuer.baseClaims('alice'), iat: now - 600, exp: now - 300 });
      await assert.rejects(keycloakValidate(issuer, raw), /invalid token \(expired\)/);
    });

    it('rejects a token from another issuer', async () => {
      const raw = await issuer.sign({ ...issuer.baseClaims('alice'), iss: `${issuer.authServerUrl}/realms/evil` });
      await assert.rejects(keycloakValidate(issuer, raw), /invalid token \(wrong ISS\)/);
    });

    it('rejects a token for another audience', async () => {
      const raw = await issuer.sign({ ...issuer.baseClaims('alice'), aud: ['account'] });
      await assert.rejects(keycloakValidate(issuer, raw), /invalid token \(wrong audience\)/);
    });

    it('rejects a token that is not a Bearer token', async () => {
      const raw = await issuer.sign({ ...issuer.baseClaims('alice'), typ: 'ID' });
      await assert.rejects(keycloakValidate(issuer, raw), /invalid token \(wrong type\)/);
    });

    it('rejects alg none and HS256 signed with the public key', async () => {
      await assert.rejects(keycloakValidate(issuer, unsignedToken(issuer.baseClaims('alice'))));
      const confused = await issuer.sign(issuer.baseClaims('alice'), { alg: 'HS256' });
      await assert.rejects(keycloakValidate(issuer, confused), /invalid token \(public key signature\)/);
    });
  });

  describe('get-token.mjs', () => {
    const script = path.join(findRepoRoot(), 'test', 'fixtures', 'oidc-issuer', 'get-token.mjs');
    const run = promisify(execFile);

    it('prints an access token that keycloak-connect accepts', async () => {
      const { stdout } = await run(process.execPath, [
        script,
        '--issuer',
        issuer.issuer,
        '--user',
        'alice',
        '--password',
        'alice-dev-password',
      ]);
      const raw = stdout.trim();
      assert.equal(decodeJwt(raw).sub, ALICE_SUB);
      await keycloakValidate(issuer, raw);
    });

    it('exits non-zero with the error on bad credentials', async () => {
      await assert.rejects(
        run(process.execPath, [script, '--user', 'alice', '--password', 'nope'], {
          env: { ...process.env, OIDC_ISSUER: issuer.issuer },
        }),
        (err: { code?: number; stdout?: string; stderr?: string }) => {
          assert.equal(err.code, 1);
          assert.equal(err.stdout, '');
          assert.match(err.stderr ?? '', /HTTP 401: invalid_grant \(Invalid user credentials\)/);
          return true;
        },
      );
    });
  });
});

describe('dev OIDC issuer: signing key rotation (SIGUSR2, handle.rotateKey())', () => {
  it('signs with a new key, publishes only it, and keeps sessions and the key file private', async () => {
    const issuer = await startOidcIssuer();
    try {
      const before = await issuer.token('alice');
      const oldKid = decodeProtectedHeader(before).kid;
      assert.equal(oldKid, issuer.kid());
      const { kid, previousKid } = await issuer.rotateKey();
      assert.equal(previousKid, oldKid);
      assert.notEqual(kid, oldKid);
      assert.equal(issuer.kid(), kid);

      const certs = (await getJson(`${issuer.issuer}/protocol/openid-connect/certs`)) as { keys: Array<Record<string, unknown>> };
      assert.deepEqual(certs.keys.map((k) => k.kid), [kid], 'the old key is dropped from the JWKS');
      assert.ok(certs.keys.every((k) => !('d' in k) && !('p' in k)), 'no private parts published');
      assert.equal((await stat(issuer.keyFile)).mode & 0o777, 0o600);

      const after = await issuer.token('alice');
      assert.equal(decodeProtectedHeader(after).kid, kid, 'password-grant tokens use the new key');
      assert.equal(decodeProtectedHeader(await issuer.sign(issuer.baseClaims('alice'))).kid, kid, 'so does sign()');
      await keycloakValidate(issuer, after);
      // A fresh relying party sees only the new key: the old token no longer verifies.
      await assert.rejects(keycloakValidate(issuer, before), /failed to load public key/);

      const second = await issuer.rotateKey();
      assert.equal(second.previousKid, kid);
      assert.notEqual(second.kid, kid);
    } finally {
      await issuer.stop();
    }
  });
});

describe('startOidcIssuer options and stop()', () => {
  it('serves another realm with a custom token lifetime, and cleans up on stop', async () => {
    const issuer = await startOidcIssuer({ realm: 'staging', accessTokenTtl: 60 });
    try {
      assert.equal(issuer.issuer, `${issuer.authServerUrl}/realms/staging`);
      const raw = await issuer.token('bob');
      const claims = decodeJwt(raw);
      assert.equal(claims.iss, issuer.issuer);
      assert.equal(claims.exp! - claims.iat!, 60);
      await keycloakValidate(issuer, raw);
    } finally {
      await issuer.stop();
    }
    assert.equal(existsSync(issuer.keyFile), false);
    await assert.rejects(fetch(`${issuer.issuer}/.well-known/openid-configuration`));
    await issuer.stop(); // idempotent
  });
});
