/** deploy/keycloak/pantheon-realm.json, the realm Keycloak imports in production (`start --import-realm`). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findRepoRoot } from '../../support/oidc';

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
