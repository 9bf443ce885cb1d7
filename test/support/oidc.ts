// Test helper around the loopback OIDC issuer in test/fixtures/oidc-issuer (a Keycloak-shaped
// realm served by oidc-provider). The issuer runs as a child process because oidc-provider is
// ESM-only while the compiled tests are CommonJS.
import { stoppableChild } from './child-process';
import { spawn } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CompactSign } from 'jose';

// A loaded CI machine has been seen to take over 20 s for one start; a second try gets a fresh process.
const READY_TIMEOUT_MS = 45_000;
const START_ATTEMPTS = 2;
const STOP_TIMEOUT_MS = 5_000;
const STDERR_LIMIT = 16 * 1024;
const DEFAULT_TEST_USER_PASSWORD = 'test-password';

export interface KeycloakAccessTokenClaims {
  iss: string;
  sub: string;
  typ: string;
  aud: string | string[];
  azp: string;
  exp: number;
  iat: number;
  jti: string;
  sid: string;
  scope: string;
  realm_access: { roles: string[] };
  email: string;
  email_verified: boolean;
  name: string;
  preferred_username: string;
  given_name: string;
  family_name: string;
  picture: string;
  [claim: string]: unknown;
}

export interface TokenOptions {
  /** Defaults to the user's password in users.json, or the test-user password for test- users. */
  password?: string;
  /** Realm roles for a test- user; at least one (use ['offline_access'] for "no app roles"). */
  roles?: string[];
  clientId?: string;
}

export interface SignOptions {
  /** Header kid; defaults to the issuer's kid, also for the foreign key (so only the signature is wrong). */
  kid?: string;
  /** RS256 by default; RS384/512 and PS256/384/512 sign with the RSA key; HS256/384/512 use the
   * key's public PEM as the HMAC secret (the classic algorithm-confusion forgery). */
  alg?: string;
  /** 'issuer' signs with the issuer's own private key; 'foreign' with a key the issuer never published. */
  key?: 'issuer' | 'foreign';
  /** Extra protected-header members, applied over typ and kid. */
  header?: Record<string, unknown>;
}

export interface OidcIssuerHandle {
  /** Realm URL, which is the issuer: http://127.0.0.1:<port>/realms/<realm>. */
  issuer: string;
  /** keycloak-connect's auth-server-url: http://127.0.0.1:<port>. */
  authServerUrl: string;
  realm: string;
  port: number;
  /** The issuer's private signing JWK (removed by stop()). */
  keyFile: string;
  stop(): Promise<void>;
  /** An access token from the password grant. */
  token(username: string, opts?: TokenOptions): Promise<string>;
  /** Signs arbitrary claims; see SignOptions. */
  sign(claims: Record<string, unknown>, opts?: SignOptions): Promise<string>;
  /** Claims shaped like the issuer's access token for this user, valid for the configured TTL. */
  baseClaims(username: string): KeycloakAccessTokenClaims;
  /** The kid of the key the issuer signs with now. */
  kid(): string;
  /**
   * Rotates the issuer's signing key (SIGUSR2): resolves once the JWKS serves only the new key; token() and
   * sign() use it from then on.
   */
  rotateKey(): Promise<{ kid: string; previousKid: string }>;
}

interface UsersFile {
  testUserNamespace: string;
  users: Array<{
    username: string;
    password: string;
    sub: string;
    email: string;
    emailVerified: boolean;
    givenName: string;
    familyName: string;
    picture: string;
    roles: string[];
  }>;
}

interface ReadyInfo {
  issuer: string;
  port: number;
  realm: string;
  pid: number;
}

function isPantheonRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'pantheon';
  } catch {
    return false;
  }
}

/** The directory holding Pantheon's package.json, found from this file or else from the cwd. */
export function findRepoRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      if (isPantheonRoot(dir)) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find the pantheon repository root from ${__dirname} or ${process.cwd()}`);
}

// Same RFC 4122 version 5 UUID as server.mjs, so helpers can predict a test user's sub.
function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with `alg: none` and an empty signature (`header.payload.`). */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

async function signJwt(
  claims: Record<string, unknown>,
  privateKey: KeyObject,
  alg: string,
  header: Record<string, unknown>,
): Promise<string> {
  let key: KeyObject | Uint8Array;
  if (/^(RS|PS)(256|384|512)$/.test(alg)) {
    key = privateKey;
  } else if (/^HS(256|384|512)$/.test(alg)) {
    key = Buffer.from(createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }));
  } else {
    throw new Error(`sign(): unsupported alg ${alg} (use unsignedToken() for alg none)`);
  }
  return new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ ...header, alg })
    .sign(key);
}

class IssuerStartTimeout extends Error {}

interface StartedIssuer {
  ready: ReadyInfo;
  keyFile: string;
  stop: () => Promise<void>;
  signal: (name: NodeJS.Signals) => boolean;
  stderr: () => string;
}

/** One issuer process in its own temp dir; stopped again (and the dir removed) if it never gets ready. */
async function spawnIssuer(serverScript: string, env: Record<string, string>): Promise<StartedIssuer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pantheon-oidc-'));
  const keyFile = path.join(dir, 'signing-key.jwk.json');
  const readyFile = path.join(dir, 'ready.json');
  const child = spawn(process.execPath, [serverScript], {
    env: { ...process.env, ...env, OIDC_KEY_FILE: keyFile, OIDC_READY_FILE: readyFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
    // Surface the issuer's own error reports; oidc-provider's start-up notices stay quiet.
    for (const line of chunk.split('\n')) {
      if (line.startsWith('oidc-issuer:')) process.stderr.write(`${line}\n`);
    }
  });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`failed to start (${err.message})`));
    child.once('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`));
  });
  const stop = stoppableChild(child, exited, dir, STOP_TIMEOUT_MS);
  try {
    return {
      ready: await waitForReady(readyFile, exited, () => stderr),
      keyFile,
      stop,
      signal: (name) => child.kill(name),
      stderr: () => stderr,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForReady(
  readyFile: string,
  exited: Promise<string>,
  stderr: () => string,
): Promise<ReadyInfo> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exitReason: string | undefined;
  void exited.then((reason) => {
    exitReason = reason;
  });
  for (;;) {
    try {
      return JSON.parse(await readFile(readyFile, 'utf8')) as ReadyInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (exitReason !== undefined) {
      throw new Error(`OIDC issuer ${exitReason} before it was ready:\n${stderr()}`);
    }
    if (Date.now() > deadline) {
      throw new IssuerStartTimeout(`OIDC issuer not ready after ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
    }
    await delay(25);
  }
}

export async function startOidcIssuer(
  opts: { realm?: string; accessTokenTtl?: number } = {},
): Promise<OidcIssuerHandle> {
  const root = findRepoRoot();
  // Unless a test overrides them, the issuer takes realm name and token lifetime from the realm export
  // itself; sign() mirrors the same values.
  const realmExport = JSON.parse(readFileSync(path.join(root, 'deploy', 'keycloak', 'pantheon-realm.json'), 'utf8')) as {
    realm: string;
    accessTokenLifespan: number;
  };
  const realm = opts.realm ?? realmExport.realm;
  const accessTokenTtl = opts.accessTokenTtl ?? realmExport.accessTokenLifespan;
  const fixtureDir = path.join(root, 'test', 'fixtures', 'oidc-issuer');
  const usersFile = path.join(fixtureDir, 'users.json');
  const testUserPassword = process.env.OIDC_TEST_USER_PASSWORD || DEFAULT_TEST_USER_PASSWORD;
  const env = {
    OIDC_HOST: '127.0.0.1',
    OIDC_PORT: '0',
    ...(opts.realm ? { OIDC_REALM: opts.realm } : {}),
    OIDC_USERS_FILE: usersFile,
    ...(opts.accessTokenTtl ? { OIDC_ACCESS_TOKEN_TTL: String(opts.accessTokenTtl) } : {}),
    OIDC_TEST_USER_PASSWORD: testUserPassword,
  };
  let started: StartedIssuer | undefined;
  for (let attempt = 1; started === undefined; attempt += 1) {
    try {
      started = await spawnIssuer(path.join(fixtureDir, 'server.mjs'), env);
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !(err instanceof IssuerStartTimeout)) throw err;
      process.stderr.write(`oidc-issuer: ${err.message.split('\n')[0]}; starting it again\n`);
    }
  }
  const { ready, stop, keyFile, signal, stderr } = started;

  const { issuer, port } = ready;
  const authServerUrl = new URL(issuer).origin;
  let issuerJwk = JSON.parse(await readFile(keyFile, 'utf8')) as { kid: string };
  let issuerKey = createPrivateKey({ key: issuerJwk, format: 'jwk' });
  let foreignKey: KeyObject | undefined;
  const users = JSON.parse(readFileSync(usersFile, 'utf8')) as UsersFile;
  const staticUser = (username: string) =>
    users.users.find((user) => user.username === username.toLowerCase());

  const token = async (username: string, tokenOpts: TokenOptions = {}): Promise<string> => {
    const form = new URLSearchParams({
      grant_type: 'password',
      client_id: tokenOpts.clientId ?? 'pantheon-frontend',
      username,
      password: tokenOpts.password ?? staticUser(username)?.password ?? testUserPassword,
    });
    if (tokenOpts.roles) {
      // The issuer cannot tell an empty roles field from a missing one.
      if (tokenOpts.roles.length === 0) throw new Error('token(): roles must not be empty');
      form.set('roles', tokenOpts.roles.join(','));
    }
    const response = await fetch(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: form,
    });
    const body = (await response.json()) as { access_token?: string };
    if (!response.ok || typeof body.access_token !== 'string') {
      throw new Error(`token(${username}) failed: HTTP ${response.status} ${JSON.stringify(body)}`);
    }
    return body.access_token;
  };

  const sign = (claims: Record<string, unknown>, signOpts: SignOptions = {}): Promise<string> => {
    let key = issuerKey;
    if (signOpts.key === 'foreign') {
      foreignKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      key = foreignKey;
    }
    const header = { typ: 'JWT', kid: signOpts.kid ?? issuerJwk.kid, ...signOpts.header };
    return signJwt(claims, key, signOpts.alg ?? 'RS256', header);
  };

  const baseClaims = (login: string): KeycloakAccessTokenClaims => {
    const now = Math.floor(Date.now() / 1000);
    // The issuer treats usernames case-insensitively, as Keycloak does.
    const username = login.toLowerCase();
    const user = staticUser(username);
    const profile = user
      ? {
          sub: user.sub,
          email: user.email,
          email_verified: user.emailVerified,
          name: `${user.givenName} ${user.familyName}`,
          preferred_username: user.username,
          given_name: user.givenName,
          family_name: user.familyName,
          picture: user.picture,
          roles: user.roles,
        }
      : {
          sub: uuidV5(users.testUserNamespace, username),
          email: `${username}@test.local`,
          email_verified: true,
          name: `Test ${username}`,
          preferred_username: username,
          given_name: 'Test',
          family_name: username,
          picture: `https://avatars.test.local/${username}.png`,
          roles: ['pantheon-user'],
        };
    const { roles, ...claims } = profile;
    return {
      iss: issuer,
      typ: 'Bearer',
      azp: 'pantheon-frontend',
      aud: ['pantheon-api', 'account'],
      iat: now,
      exp: now + accessTokenTtl,
      jti: randomUUID(),
      sid: randomUUID(),
      scope: 'profile email',
      realm_access: { roles: [...roles] },
      ...claims,
    };
  };

  const servedKids = async (): Promise<string[]> => {
    const res = await fetch(`${issuer}/protocol/openid-connect/certs`);
    const body = (await res.json()) as { keys: Array<{ kid: string }> };
    return body.keys.map((k) => k.kid);
  };

  let rotations = Promise.resolve();
  const rotateKey = (): Promise<{ kid: string; previousKid: string }> => {
    const done = rotations.then(async () => {
      const previousKid = issuerJwk.kid;
      if (!signal('SIGUSR2')) throw new Error('rotateKey(): the issuer is not running');
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        const jwk = JSON.parse(await readFile(keyFile, 'utf8').catch(() => '{}')) as { kid?: string };
        if (jwk.kid && jwk.kid !== previousKid) {
          const kids = await servedKids();
          if (kids.length === 1 && kids[0] === jwk.kid) {
            issuerJwk = jwk as { kid: string };
            issuerKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
            return { kid: jwk.kid, previousKid };
          }
        }
        if (Date.now() > deadline) throw new Error(`rotateKey(): no new key served after ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
        await delay(25);
      }
    });
    rotations = done.then(() => undefined, () => undefined);
    return done;
  };

  return { issuer, authServerUrl, realm, port, keyFile, stop, token, sign, baseClaims, kid: () => issuerJwk.kid, rotateKey };
}
