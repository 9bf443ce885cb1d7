import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '@pantheon/config';
import { decodeProtectedHeader } from 'jose';
import type { Socket } from 'socket.io-client';
import type { Response } from 'supertest';
import { createUser, testUsername } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { connected, openSocket } from '../support/client';
import { requiredEnv } from '../support/db';
import { testImageTag } from '../support/runtime-env';
import { OidcIssuerHandle, startOidcIssuer, unsignedToken } from '../support/oidc';

/**
 * Issue 9 items 5 and 6 (API side): which address a client is limited and audited under (TRUST_PROXY), failed
 * authentications limited per address through Redis (429 + Retry-After), handshake limits, signing keys that
 * follow a rotation of the realm, and log lines that stay bounded under a bad-token flood.
 */

/** A Redis prefix under this run's prefix (test/run.sh removes its keys), so each API here counts on its own. */
const scopedPrefix = (label: string) => `${requiredEnv('REDIS_PREFIX')}:${label}-${randomBytes(4).toString('hex')}`;

/** Runs the docker CLI; resolves with stdout, rejects with stderr. `input` goes to the container's stdin. */
function docker(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker ${args[0]} exited ${code}: ${err}`))));
    child.stdin.end(input ?? '');
  });
}

/** What runs inside the container: bad tokens under a rotating forged X-Forwarded-For, then one valid login. */
const CONTAINER_CLIENT = `
let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', async () => {
  const { url, token } = JSON.parse(input);
  const statuses = [];
  for (let i = 1; i <= 8; i++) {
    const res = await fetch(url, { headers: { authorization: 'Bearer not-a-jwt', 'x-forwarded-for': '203.0.113.' + i } });
    statuses.push(res.status);
  }
  const ok = await fetch(url, { headers: { authorization: 'Bearer ' + token, 'x-forwarded-for': '203.0.113.9' } });
  statuses.push(ok.status);
  const own = Object.values(require('os').networkInterfaces()).flat().find((a) => a.family === 'IPv4' && !a.internal);
  process.stdout.write(JSON.stringify({ statuses, ip: own && own.address }));
});
`;

function assert429(res: Response, windowS: number): void {
  const where = `${res.status} ${res.text}`;
  assert.equal(res.status, 429, where);
  assert.match(String(res.headers['content-type']), /^application\/json/, where);
  assert.equal(res.body.statusCode, 429, where);
  assert.equal(res.body.error, 'Too Many Requests', where);
  assert.match(res.body.message, /Retry-After/, where);
  assert.equal(res.body.request_id, res.headers['x-request-id'], where);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowS, `Retry-After ${res.headers['retry-after']}`);
}

describe('auth hardening (issue 9 items 5 and 6)', () => {
  let issuer: OidcIssuerHandle;
  let main: TestApi;
  const apis: TestApi[] = [];
  const sockets: Socket[] = [];

  const boot = async (env: Record<string, string>): Promise<TestApi> => {
    const api = await startTestApi(issuer, { REDIS_PREFIX: scopedPrefix('auth'), ...env });
    apis.push(api);
    return api;
  };
  const me = (api: TestApi, authorization?: string, forwardedFor?: string) => {
    let req = api.http().get('/api/user/me');
    if (authorization !== undefined) req = req.set('Authorization', authorization);
    if (forwardedFor !== undefined) req = req.set('X-Forwarded-For', forwardedFor);
    return req;
  };
  /** Resolves with the connect_error of a refused handshake, or 'connected'. */
  type HandshakeResult = { message: string; data?: { retryAfter?: number } } | 'connected';
  const handshake = async (api: TestApi, token: string, forwardedFor: string): Promise<HandshakeResult> => {
    const socket = openSocket(await api.listen(), { path: api.config.WS_PATH, auth: { token }, extraHeaders: { 'x-forwarded-for': forwardedFor } });
    sockets.push(socket);
    try {
      await connected(socket);
      return 'connected';
    } catch (err) {
      return err as { message: string; data?: { retryAfter?: number } };
    } finally {
      socket.disconnect();
    }
  };

  before(async () => {
    issuer = await startOidcIssuer();
    main = await startTestApi(issuer);
  });

  after(async () => {
    for (const s of sockets) s.disconnect();
    for (const api of apis) await api.close();
    await main?.close();
    await issuer?.stop();
  });

  describe('item 5: TRUST_PROXY (the address a client is limited and audited under)', () => {
    it('trusts no proxy by default: a forged X-Forwarded-For from loopback is limited and audited as 127.0.0.1', async () => {
      const api = await boot({ AUTH_FAILURE_LIMIT: '5' });
      assert.equal(api.config.TRUST_PROXY, '');
      await api.listen(); // on 127.0.0.1, so the peer address is exactly 127.0.0.1
      const statuses: number[] = [];
      for (let i = 1; i <= 8; i++) statuses.push((await me(api, 'Bearer not-a-jwt', `203.0.113.${i}`)).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429], 'a rotating forged header must not reset the budget');

      const username = testUsername('xff-default');
      const token = await issuer.token(username);
      await me(api, `Bearer ${token}`, '203.0.113.9').expect(200);
      const audit = await api.as({ token }).get('/api/user/audit').expect(200);
      assert.deepEqual(audit.body.data.map((e: { action: string; ip: string }) => [e.action, e.ip]), [['user.created', '127.0.0.1']]);
    });

    it('with TRUST_PROXY=loopback, the forwarded address is the client: limited and audited under it', async () => {
      const api = await boot({ AUTH_FAILURE_LIMIT: '5', TRUST_PROXY: 'loopback' });
      await api.listen();
      const fixed: number[] = [];
      for (let i = 0; i < 6; i++) fixed.push((await me(api, 'Bearer not-a-jwt', '198.51.100.7')).status);
      assert.deepEqual(fixed, [401, 401, 401, 401, 401, 429]);
      await me(api, 'Bearer not-a-jwt', '198.51.100.8').expect(401); // another client behind the proxy has its own budget

      const username = testUsername('xff-proxy');
      const token = await issuer.token(username);
      await me(api, `Bearer ${token}`, '203.0.113.9').expect(200);
      const audit = await api.as({ token }).get('/api/user/audit').expect(200);
      assert.deepEqual(audit.body.data.map((e: { ip: string }) => e.ip), ['203.0.113.9']);
    });

    it('limits and audits a container on a project-like network under its real address, whatever it forwards', async () => {
      // A network of this test's own, in 10.x like the platform's, with the API listening on its gateway (the host).
      const network = `pantheon-auth-xff-${randomBytes(4).toString('hex')}`;
      let third = 0;
      for (let attempt = 0; ; attempt++) {
        third = 100 + Math.floor(Math.random() * 150);
        try {
          await docker(['network', 'create', '--subnet', `10.233.${third}.0/24`, '--gateway', `10.233.${third}.1`, '--label', 'pantheon.test=auth-hardening', network]);
          break;
        } catch (err) {
          if (attempt >= 10 || !/overlap/i.test((err as Error).message)) throw err;
        }
      }
      const gateway = `10.233.${third}.1`;
      try {
        const api = await boot({ AUTH_FAILURE_LIMIT: '5' });
        await api.app.listen(0, gateway);
        const url = `http://${gateway}:${(api.server.address() as AddressInfo).port}/api/user/me`;
        const username = testUsername('xff-vm');
        const token = await issuer.token(username);
        const out = await docker(
          ['run', '--rm', '-i', '--network', network, '--entrypoint', '/usr/local/bin/node', `pantheon/node-base:${testImageTag()}`, '-e', CONTAINER_CLIENT],
          JSON.stringify({ url, token }),
        );
        const { statuses, ip } = JSON.parse(out) as { statuses: number[]; ip: string };
        assert.match(ip, new RegExp(`^10\\.233\\.${third}\\.\\d+$`));
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429, 200], 'the container was not limited under its own address');
        const audit = await api.as({ token }).get('/api/user/audit').expect(200);
        assert.deepEqual(audit.body.data.map((e: { ip: string }) => e.ip), [ip], 'audited under the forged address');
      } finally {
        await docker(['network', 'rm', network]).catch(() => undefined);
      }
    });

    it('refuses at boot a TRUST_PROXY that would believe VMs or is not an address, naming the variable', () => {
      for (const value of ['uniquelocal', '172.16.0.0/12', '172.30.7.2', '0.0.0.0/0', 'my-proxy']) {
        assert.throws(() => loadConfig({ ...process.env, TRUST_PROXY: value }), (err: Error) => {
          assert.match(err.message, /TRUST_PROXY: /, value);
          return true;
        });
      }
      assert.equal(loadConfig({ ...process.env, TRUST_PROXY: '10.0.1.10, loopback' }).TRUST_PROXY, '10.0.1.10, loopback');
    });
  });

  describe('item 6: failed authentications limited per client address (Redis)', () => {
    it('answers 1,000 bad tokens 401 up to the limit, then 429 with Retry-After; valid tokens still pass; logs stay bounded', async () => {
      const user = await createUser(main, issuer, 'flood');
      const api = await boot({ AUTH_FAILURE_LIMIT: '10', AUTH_FAILURE_WINDOW_S: '60' });
      const claims = issuer.baseClaims(testUsername('flood-bad'));
      const now = Math.floor(Date.now() / 1000);
      const bad: Array<string | undefined> = [
        undefined,
        'Bearer not-a-jwt',
        `Bearer ${unsignedToken(claims)}`,
        `Bearer ${await issuer.sign({ ...claims, iat: now - 600, exp: now - 60 })}`,
        `Bearer ${await issuer.sign(claims, { key: 'foreign' })}`,
      ];
      // Unknown kids: each would ask for a JWKS refresh.
      for (let i = 0; i < 20; i++) bad.push(`Bearer ${await issuer.sign(claims, { key: 'foreign', kid: `kid-${randomBytes(6).toString('hex')}` })}`);

      const linesBefore = api.logs.length;
      const statuses = new Map<number, number>();
      const limited: Response[] = [];
      for (let i = 0; i < 1000; i += 25) {
        const batch = await Promise.all(Array.from({ length: 25 }, (_, j) => me(api, bad[(i + j) % bad.length])));
        for (const res of batch) {
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 429) limited.push(res);
        }
      }
      assert.deepEqual(Object.fromEntries(statuses), { 401: 10, 429: 990 });
      for (const res of limited.slice(0, 50)) assert429(res, 60);
      await me(api, 'Bearer not-a-jwt').expect(429);

      // Only failures count: a valid token from the same address is not locked out.
      await api.as(user).get('/api/user/me').expect(200);

      const lines = api.logs.slice(linesBefore);
      assert.ok(lines.length <= 60, `${lines.length} log lines for 1,000 refused requests`);
      const signatures = bad.filter((b): b is string => !!b).map((b) => b.split('.')[2]).filter((s) => s && s.length > 20);
      for (const line of lines) for (const s of signatures) assert.ok(!line.includes(s!), `a token in a log line: ${line}`);
    });

    it('shares one failure budget between two API instances on the same Redis prefix', async () => {
      const prefix = scopedPrefix('shared');
      const [one, two] = [await boot({ AUTH_FAILURE_LIMIT: '6', REDIS_PREFIX: prefix }), await boot({ AUTH_FAILURE_LIMIT: '6', REDIS_PREFIX: prefix })];
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await me(i % 2 === 0 ? one : two, 'Bearer not-a-jwt')).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
      const separate = await boot({ AUTH_FAILURE_LIMIT: '6' });
      await me(separate, 'Bearer not-a-jwt').expect(401);
    });
  });

  describe('item 6: socket handshakes limited per client address', () => {
    it('refuses a handshake flood with connect_error "too many requests" and retryAfter; failures share the budget', async () => {
      const user = await createUser(main, issuer, 'ws-flood');
      const api = await boot({ WS_HANDSHAKE_LIMIT: '5', WS_HANDSHAKE_WINDOW_S: '60', AUTH_FAILURE_LIMIT: '3' });
      const results: HandshakeResult[] = [];
      // Every handshake forges another X-Forwarded-For: with no trusted proxy it changes nothing.
      for (let i = 0; i < 4; i++) results.push(await handshake(api, 'not-a-jwt', `203.0.113.${i}`));
      results.push(await handshake(api, user.token, '203.0.113.50'));
      const words = results.map((r) => (r === 'connected' ? r : r.message));
      assert.deepEqual(words, ['unauthorized', 'unauthorized', 'unauthorized', 'too many requests', 'connected']);
      const limited = results[3] as { data?: { retryAfter?: number } };
      assert.ok(Number.isInteger(limited.data?.retryAfter) && limited.data!.retryAfter! >= 1 && limited.data!.retryAfter! <= 60, JSON.stringify(limited));

      // Past the handshake limit even a valid token is refused until the window ends.
      const flood: HandshakeResult[] = [];
      for (let i = 0; i < 30; i++) flood.push(await handshake(api, i % 2 ? user.token : 'not-a-jwt', `198.51.100.${i}`));
      assert.deepEqual(new Set(flood.map((r) => (r === 'connected' ? r : r.message))), new Set(['too many requests']));
      const refusalLines = api.logs.filter((l) => l.includes('"socket refused"'));
      assert.ok(refusalLines.length <= 25, `${refusalLines.length} "socket refused" lines`);
    });
  });

  describe('item 6: signing keys follow a rotation of the realm', () => {
    let rotIssuer: OidcIssuerHandle;
    let api: TestApi;
    const TTL_S = 2;

    before(async () => {
      rotIssuer = await startOidcIssuer();
      api = await startTestApi(rotIssuer, { REDIS_PREFIX: scopedPrefix('jwks'), AUTH_JWKS_CACHE_TTL_S: String(TTL_S), AUTH_JWKS_MIN_REFRESH_S: '1' });
    });
    after(async () => {
      await api?.close();
      await rotIssuer?.stop();
    });

    /** Polls until `token` gets `status`; resolves with the milliseconds it took. */
    async function until(token: string, status: number, withinMs: number): Promise<number> {
      const start = Date.now();
      for (;;) {
        const res = await me(api, `Bearer ${token}`);
        if (res.status === status) return Date.now() - start;
        assert.ok(Date.now() - start < withinMs, `still ${res.status} after ${withinMs} ms (wanted ${status})`);
        await delay(100);
      }
    }

    it('accepts a new-kid token without a restart and refuses old-kid tokens after the refresh', async () => {
      const username = testUsername('rotate');
      const oldToken = await rotIssuer.token(username);
      await me(api, `Bearer ${oldToken}`).expect(200); // the old key is cached now
      const { kid, previousKid } = await rotIssuer.rotateKey();
      assert.equal(decodeProtectedHeader(oldToken).kid, previousKid);
      const newToken = await rotIssuer.token(username);
      assert.equal(decodeProtectedHeader(newToken).kid, kid);

      // An unknown kid asks for a refresh (at most one per AUTH_JWKS_MIN_REFRESH_S).
      await until(newToken, 200, 3000);
      await until(oldToken, 401, (TTL_S + 2) * 1000);
      for (let i = 0; i < 3; i++) await me(api, `Bearer ${oldToken}`).expect(401);
      await me(api, `Bearer ${newToken}`).expect(200);
    });

    it('drops a removed key once the cache TTL has passed, even when no new kid is seen', async () => {
      const username = testUsername('rotate-ttl');
      const signed = await rotIssuer.sign(rotIssuer.baseClaims(username));
      await me(api, `Bearer ${signed}`).expect(200);
      await rotIssuer.rotateKey();
      const tookMs = await until(signed, 401, (TTL_S + 2) * 1000);
      assert.ok(tookMs <= (TTL_S + 2) * 1000, `${tookMs} ms`);
      const fresh = await rotIssuer.sign(rotIssuer.baseClaims(username));
      await me(api, `Bearer ${fresh}`).expect(200);
    });
  });
});
