/** deploy/keycloak/pantheon-realm.json, the realm Keycloak imports in production (`start --import-realm`). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { findRepoRoot, OidcIssuerHandle, startOidcIssuer } from '../../support/oidc';

interface Mapper { protocolMapper: string; config: Record<string, string> }
interface Client { clientId: string; publicClient: boolean; bearerOnly?: boolean; secret?: string; standardFlowEnabled: boolean; directAccessGrantsEnabled: boolean; serviceAccountsEnabled: boolean; implicitFlowEnabled: boolean; redirectUris?: string[]; webOrigins?: string[]; attributes?: Record<string, string>; protocolMappers?: Mapper[]; defaultClientScopes?: string[] }
interface Realm {
  realm: string;
  ssoSessionIdleTimeout: number;
  ssoSessionMaxLifespan: number;
  accessTokenLifespan: number;
  roles: { realm: { name: string; composite?: boolean; composites?: { realm: string[] } }[] };
  defaultRole: { name: string };
  clientScopes: { name: string; protocolMappers?: Mapper[] }[];
  clients: Client[];
  identityProviders: { alias: string; providerId: string; enabled: boolean; firstBrokerLoginFlowAlias: string; config: Record<string, string> }[];
}

const realm = JSON.parse(readFileSync(path.join(findRepoRoot(), 'deploy/keycloak/pantheon-realm.json'), 'utf8')) as Realm;
const client = (id: string): Client => realm.clients.find((c) => c.clientId === id)!;
const PLACEHOLDER = /^\$\{[A-Z][A-Z0-9_]*\}$/;

describe('Keycloak realm export', () => {
  it('is realm pantheon with the original session lifetimes (30 min idle, 10 h max)', () => {
    assert.equal(realm.realm, 'pantheon');
    assert.equal(realm.ssoSessionIdleTimeout, 30 * 60);
    assert.equal(realm.ssoSessionMaxLifespan, 10 * 60 * 60);
    assert.ok(realm.accessTokenLifespan <= 300, 'access tokens stay short-lived');
  });

  it('has realm roles pantheon-user (granted by default) and pantheon-admin (not)', () => {
    const names = realm.roles.realm.map((r) => r.name);
    assert.ok(names.includes('pantheon-user') && names.includes('pantheon-admin'));
    const defaults = realm.roles.realm.find((r) => r.name === realm.defaultRole.name);
    assert.ok(defaults?.composite && defaults.composites?.realm.includes('pantheon-user'));
    assert.ok(!defaults!.composites!.realm.includes('pantheon-admin'));
  });

  it('has a public frontend client: standard flow with PKCE S256, redirect URIs and origins from a placeholder', () => {
    const fe = client('pantheon-frontend');
    assert.equal(fe.publicClient, true);
    assert.equal(fe.standardFlowEnabled, true);
    assert.equal(fe.implicitFlowEnabled, false);
    assert.equal(fe.directAccessGrantsEnabled, false);
    assert.equal(fe.attributes?.['pkce.code.challenge.method'], 'S256');
    assert.deepEqual(fe.redirectUris, ['${PANTHEON_FRONTEND_URL}/*']);
    assert.deepEqual(fe.webOrigins, ['${PANTHEON_FRONTEND_URL}']);
    const audience = fe.protocolMappers?.find((m) => m.protocolMapper === 'oidc-audience-mapper');
    assert.equal(audience?.config['included.client.audience'], 'pantheon-api', 'access tokens carry aud: pantheon-api');
    assert.equal(audience?.config['access.token.claim'], 'true');
  });

  it('has a confidential, bearer-only API client whose secret is a placeholder', () => {
    const api = client('pantheon-api');
    assert.equal(api.publicClient, false);
    assert.equal(api.bearerOnly, true);
    assert.match(api.secret ?? '', PLACEHOLDER);
    for (const flow of ['standardFlowEnabled', 'directAccessGrantsEnabled', 'serviceAccountsEnabled', 'implicitFlowEnabled'] as const) {
      assert.equal(api[flow], false, flow);
    }
  });

  it('maps email, name, picture and realm roles into tokens through the openid, email and profile scopes', () => {
    const scope = (n: string) => realm.clientScopes.find((s) => s.name === n)!;
    for (const n of ['openid', 'email', 'profile', 'roles']) assert.ok(scope(n), `scope ${n}`);
    const claims = realm.clientScopes.flatMap((s) => s.protocolMappers ?? []).map((m) => m.config['claim.name'] ?? m.protocolMapper);
    for (const c of ['email', 'picture', 'oidc-full-name-mapper', 'realm_access.roles']) assert.ok(claims.includes(c), `mapper for ${c}`);
    assert.deepEqual(client('pantheon-frontend').defaultClientScopes, ['openid', 'profile', 'email', 'roles']);
  });

  it('offers Google and Microsoft sign-in with credentials from placeholders; users are created on first login', () => {
    for (const alias of ['google', 'microsoft']) {
      const idp = realm.identityProviders.find((i) => i.alias === alias)!;
      assert.equal(idp.providerId, alias);
      assert.equal(idp.enabled, true);
      assert.equal(idp.firstBrokerLoginFlowAlias, 'first broker login');
      assert.match(idp.config.clientId, PLACEHOLDER);
      assert.match(idp.config.clientSecret, PLACEHOLDER);
    }
  });

  it('holds no literal secret anywhere', () => {
    const secrets: string[] = [];
    const walk = (v: unknown, key = ''): void => {
      if (typeof v === 'string' && /secret|password/i.test(key)) secrets.push(v);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(realm);
    assert.ok(secrets.length >= 3);
    for (const s of secrets) assert.match(s, PLACEHOLDER);
  });
});

/** `./deploy.sh dev` and the tests use the dev OIDC issuer: it must serve this same realm, not a copy of it. */
describe('the dev OIDC issuer follows the realm export', () => {
  let issuer: OidcIssuerHandle;
  before(async () => {
    issuer = await startOidcIssuer(); // no overrides: realm name and lifetimes come from the file
  });
  after(() => issuer?.stop());

  const frontend = () => client('pantheon-frontend');
  const authorize = (params: Record<string, string>) =>
    fetch(`${issuer.issuer}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: frontend().clientId, response_type: 'code', scope: 'openid', ...params })}`, { redirect: 'manual' });
  const challenge = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };

  it('is served under the realm name, with tokens for the API audience living accessTokenLifespan', async () => {
    assert.equal(issuer.issuer.endsWith(`/realms/${realm.realm}`), true, issuer.issuer);
    const claims = decodeJwt(await issuer.token('test-realm-drift'));
    const audienceMapper = frontend().protocolMappers!.find((m) => m.protocolMapper === 'oidc-audience-mapper')!;
    assert.ok((claims.aud as string[]).includes(audienceMapper.config['included.client.audience']));
    assert.equal(claims.exp! - claims.iat!, realm.accessTokenLifespan);
  });

  it("grants the realm's default roles, and only roles the realm defines", async () => {
    const claims = decodeJwt(await issuer.token('test-realm-roles')) as { realm_access: { roles: string[] } };
    const defaults = realm.roles.realm.find((r) => r.name === realm.defaultRole.name)!.composites!.realm;
    const own = realm.roles.realm.map((r) => r.name);
    assert.deepEqual(claims.realm_access.roles, defaults.filter((r) => r === 'pantheon-user'));
    for (const r of claims.realm_access.roles) assert.ok(own.includes(r), `${r} is a realm role`);
  });

  it("accepts the frontend's redirect URI from the realm (placeholder filled) and refuses any other", async () => {
    const redirect = frontend().redirectUris![0].replace('${PANTHEON_FRONTEND_URL}', 'http://localhost:3000').replace(/\/\*$/, '/');
    const ok = await authorize({ redirect_uri: redirect, ...challenge });
    assert.equal(ok.status, 303, 'a known redirect URI starts the login');
    assert.doesNotMatch(ok.headers.get('location') ?? '', /error=/);
    const foreign = await authorize({ redirect_uri: 'http://evil.test/', ...challenge });
    assert.equal(foreign.status, 400, 'an unknown redirect URI is refused without redirecting');
  });

  it('requires PKCE from the public frontend client, as the realm says (S256)', async () => {
    assert.equal(frontend().attributes!['pkce.code.challenge.method'], 'S256');
    const res = await authorize({ redirect_uri: 'http://localhost:3000/' });
    assert.match(res.headers.get('location') ?? '', /error=invalid_request/);
    assert.match(decodeURIComponent(res.headers.get('location') ?? ''), /PKCE/);
    const plain = await authorize({ redirect_uri: 'http://localhost:3000/', code_challenge: challenge.code_challenge, code_challenge_method: 'plain' });
    assert.match(plain.headers.get('location') ?? '', /error=invalid_request/, 'only S256 is accepted');
  });
});
