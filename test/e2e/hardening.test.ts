import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { requiredEnv } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/**
 * HTTP hardening of the API as production builds it: security headers, CORS, request ids, per-user rate limits
 * shared through Redis, error bodies without internals, the OpenAPI document, and what reaches the logs.
 */

const APP_ORIGIN = 'https://app.example.test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `{statusCode, error, message}` with the response's status and no stack. */
function assertErrorShape(res: Response, status: number): void {
  const where = `${res.status} ${res.text}`;
  assert.equal(res.status, status, where);
  assert.match(String(res.headers['content-type']), /^application\/json/, where);
  assert.equal(res.body.statusCode, status, where);
  assert.equal(typeof res.body.error, 'string', where);
  assert.equal(typeof res.body.message, 'string', where);
  assert.ok(res.body.message.length > 0, where);
  assert.equal('stack' in res.body, false, where);
  assert.doesNotMatch(res.text, /\bat [^ ]+ \(|\.js:\d+|node_modules|Error: /, where);
}

/** A Redis prefix under this run's prefix, so test/run.sh's cleanup removes its keys. */
const scopedPrefix = (label: string) => `${requiredEnv('REDIS_PREFIX')}:${label}-${randomBytes(4).toString('hex')}`;

describe('hardening: headers, CORS, request ids, rate limits, errors, OpenAPI, logs', () => {
  let issuer: OidcIssuerHandle;
  let api: TestApi;
  let user: TestUser;
  const extraApis: TestApi[] = [];

  before(async () => {
    issuer = await startOidcIssuer();
    api = await startTestApi(issuer, { CORS_ORIGINS: APP_ORIGIN });
    user = await createUser(api, issuer, 'hard');
  });

  after(async () => {
    for (const a of extraApis) await a.close();
    await api?.close();
    await issuer?.stop();
  });

  describe('security headers (helmet)', () => {
    it('sets nosniff, frame options and a CSP and hides x-powered-by on success, error and public responses', async () => {
      const responses = [
        await api.as(user).get('/api/user/me'),
        await api.http().get('/api/user/me'),
        await api.http().get('/health'),
        await api.as(user).get('/api/nope'),
      ];
      assert.deepEqual(responses.map((r) => r.status), [200, 401, 200, 404]);
      for (const res of responses) {
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        assert.match(String(res.headers['x-frame-options']), /^(DENY|SAMEORIGIN)$/);
        assert.ok(res.headers['content-security-policy'], 'content-security-policy missing');
        assert.ok(res.headers['strict-transport-security'], 'strict-transport-security missing');
        assert.equal(res.headers['x-powered-by'], undefined);
      }
    });
  });

  describe('CORS', () => {
    const preflight = (target: TestApi, origin: string) =>
      target
        .http()
        .options('/api/user/me')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization');

    it('answers a preflight from an allowed origin by echoing it', async () => {
      const res = await preflight(api, APP_ORIGIN);
      assert.ok(res.status >= 200 && res.status < 300, `${res.status}`);
      assert.equal(res.headers['access-control-allow-origin'], APP_ORIGIN);
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.match(String(res.headers['access-control-allow-methods']), /GET/);
    });

    it('gives another origin no access-control-allow-origin', async () => {
      for (const origin of ['https://evil.example.test', 'https://app.example.test.evil.test', 'http://app.example.test', 'null']) {
        const res = await preflight(api, origin);
        assert.equal(res.headers['access-control-allow-origin'], undefined, origin);
        const get = await api.as(user).get('/api/user/me').set('Origin', origin);
        assert.equal(get.headers['access-control-allow-origin'], undefined, origin);
      }
    });

    it('exposes x-request-id to the allowed origin on actual requests', async () => {
      const res = await api.as(user).get('/api/user/me').set('Origin', APP_ORIGIN).expect(200);
      assert.equal(res.headers['access-control-allow-origin'], APP_ORIGIN);
      assert.match(String(res.headers['access-control-expose-headers']), /x-request-id/i);
    });
  });

  describe('request ids', () => {
    it('puts an x-request-id on every kind of response, and the same id in error bodies', async () => {
      const responses = [
        await api.as(user).get('/api/user/me'),
        await api.http().get('/api/user/me'),
        await api.http().get('/health'),
        await api.http().get('/ready'),
        await api.http().get('/api/nope'),
        await api.as(user).delete('/api/user/api-keys/abc'),
        await api.as(user).post('/api/user/api-keys').set('Content-Type', 'application/json').send('{oops'),
        await api.as(user).post('/api/user/api-keys').send({ pad: 'x'.repeat(120 * 1024) }),
      ];
      assert.deepEqual(responses.map((r) => r.status), [200, 401, 200, 200, 404, 400, 400, 413]);
      for (const res of responses) {
        assert.match(String(res.headers['x-request-id']), UUID, `${res.status} ${res.text}`);
        if (res.status >= 400) assert.equal(res.body.request_id, res.headers['x-request-id'], `${res.status} ${res.text}`);
      }
      assert.equal(new Set(responses.map((r) => r.headers['x-request-id'])).size, responses.length, 'request ids repeat');
    });

    it('echoes a well-formed caller id in the header, the error body and the logs', async () => {
      const given = `test-req-${randomBytes(4).toString('hex')}`;
      const res = await api.http().get('/api/user/me').set('X-Request-Id', given);
      assertErrorShape(res, 401);
      assert.equal(res.headers['x-request-id'], given);
      assert.equal(res.body.request_id, given);
      const ok = await api.as(user).get('/api/user/me').set('X-Request-Id', 'test-req-12345678').expect(200);
      assert.equal(ok.headers['x-request-id'], 'test-req-12345678');
      const lines = api.logs.filter((l) => l.includes(given));
      assert.ok(lines.length > 0, `request id ${given} not in the logs`);
      assert.ok(lines.some((l) => JSON.stringify(JSON.parse(l)).includes(`"${given}"`)));
      assert.ok(api.logs.some((l) => l.includes('"test-req-12345678"')));
    });

    it('replaces malformed caller ids with its own', async () => {
      for (const given of ['<script>', '<script>alert(1)</script>', 'short', 'x'.repeat(65), 'has space here', 'id;drop']) {
        const res = await api.http().get('/api/nope').set('X-Request-Id', given);
        assertErrorShape(res, 404);
        assert.match(String(res.headers['x-request-id']), UUID, given);
        assert.equal(res.body.request_id, res.headers['x-request-id']);
        assert.doesNotMatch(res.text, /script|drop/);
      }
      assert.ok(!api.logs.some((l) => l.includes('<script>')), 'a malformed request id reached the logs');
    });
  });

  describe('rate limits (Redis-backed, per user)', () => {
    const env = (prefix: string) => ({ RATE_LIMIT_MAX: '5', RATE_LIMIT_TTL_MS: '60000', REDIS_PREFIX: prefix });
    const boot = async (prefix: string) => {
      const a = await startTestApi(issuer, env(prefix));
      extraApis.push(a);
      return a;
    };
    const me = (target: TestApi, u: TestUser) => target.as(u).get('/api/user/me');

    it('allows the limit, then answers 429 with the error shape and retry-after; /health and /ready are not limited', async () => {
      // The user is created through the main API, so the limited API sees only the requests counted below.
      const a = await createUser(api, issuer, 'rl-a');
      const limited = await boot(scopedPrefix('rl'));
      for (let i = 1; i <= 5; i++) {
        const res = await me(limited, a);
        assert.equal(res.status, 200, `request ${i}: ${res.status} ${res.text}`);
        assert.equal(res.headers['x-ratelimit-remaining'], String(5 - i));
      }
      const blocked = await me(limited, a);
      assertErrorShape(blocked, 429);
      assert.equal(blocked.body.error, 'Too Many Requests');
      assert.match(String(blocked.headers['retry-after']), /^[1-9][0-9]*$/);
      assert.ok(Number(blocked.headers['retry-after']) <= 60);
      assert.match(String(blocked.headers['x-request-id']), UUID);
      assert.equal(blocked.body.request_id, blocked.headers['x-request-id']);

      for (let i = 0; i < 8; i++) {
        await limited.http().get('/health').expect(200);
        await limited.http().get('/ready').expect(200);
      }
      await me(limited, a).expect(429);
    });

    it('limits per user: another user from the same address is not affected', async () => {
      const [a, b] = [await createUser(api, issuer, 'rl-pa'), await createUser(api, issuer, 'rl-pb')];
      const limited = await boot(scopedPrefix('rl-user'));
      for (let i = 0; i < 5; i++) await me(limited, a).expect(200);
      await me(limited, a).expect(429);
      const other = await me(limited, b);
      assert.equal(other.status, 200, `another user was limited too: ${other.status} ${other.text}`);
    });

    it('shares one budget across API instances with the same Redis prefix', async () => {
      const u = await createUser(api, issuer, 'rl-shared');
      const prefix = scopedPrefix('rl-shared');
      const [one, two] = [await boot(prefix), await boot(prefix)];
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await me(i % 2 === 0 ? one : two, u)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
      await me(one, u).expect(429);
      // A third instance on its own prefix has its own budget: the counters are in Redis, keyed by prefix.
      const separate = await boot(scopedPrefix('rl-other'));
      await me(separate, u).expect(200);
    });
  });

  describe('error bodies', () => {
    it('answers unknown routes with the JSON error shape, never a stack or an HTML page', async () => {
      for (const req of [
        api.http().get('/api/nope'),
        api.as(user).get('/api/nope'),
        api.as(user).post('/api/user/me'),
        api.http().get('/nope'),
      ]) {
        const res = await req;
        assertErrorShape(res, 404);
        assert.doesNotMatch(res.text, /<html|<pre>/i);
      }
    });
  });

  describe('OpenAPI', () => {
    let doc: {
      openapi: string;
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }>; securitySchemes?: Record<string, { type: string; scheme?: string }> };
    };

    before(async () => {
      const res = await api.http().get('/api/docs-json').expect(200);
      assert.match(String(res.headers['content-type']), /application\/json/);
      doc = res.body;
    });

    const ROUTES: Array<[string, string]> = [
      ['get', '/api/user/me'],
      ['get', '/api/user/settings'],
      ['put', '/api/user/settings'],
      ['get', '/api/user/api-keys'],
      ['post', '/api/user/api-keys'],
      ['delete', '/api/user/api-keys/{id}'],
      ['get', '/api/user/models'],
      ['post', '/api/user/models'],
      ['delete', '/api/user/models/{id}'],
      ['get', '/api/user/audit'],
      ['get', '/api/user/audit/verify'],
      ['get', '/api/projects/{id}/gateway'],
      ['put', '/api/projects/{id}/gateway'],
    ];

    it('is public OpenAPI 3 listing every route with the bearer scheme', () => {
      assert.match(doc.openapi, /^3\.\d+\.\d+$/);
      const schemes = Object.entries(doc.components.securitySchemes ?? {}).filter(([, s]) => s.type === 'http' && s.scheme === 'bearer');
      assert.equal(schemes.length, 1, JSON.stringify(doc.components.securitySchemes));
      const [schemeName] = schemes[0];
      for (const [method, path] of ROUTES) {
        const op = doc.paths[path]?.[method];
        assert.ok(op, `${method.toUpperCase()} ${path} missing from OpenAPI`);
        assert.ok(op.security?.some((s) => schemeName in s), `${method.toUpperCase()} ${path} lacks bearer security`);
      }
      assert.ok(doc.paths['/health']?.get && doc.paths['/ready']?.get, 'health routes missing');
    });

    it('documents the api-key responses without any key or ciphertext property', () => {
      const resolve = (node: unknown, seen = new Set<string>()): string[] => {
        // Every property name reachable from a schema, following $refs.
        if (!node || typeof node !== 'object') return [];
        const names: string[] = [];
        const n = node as Record<string, unknown>;
        if (typeof n.$ref === 'string') {
          const name = n.$ref.split('/').pop()!;
          if (seen.has(name)) return [];
          seen.add(name);
          return resolve(doc.components.schemas[name], seen);
        }
        if (n.properties && typeof n.properties === 'object') names.push(...Object.keys(n.properties));
        for (const v of Object.values(n)) names.push(...resolve(v, seen));
        return names;
      };
      const responses = [doc.paths['/api/user/api-keys'].get.responses, doc.paths['/api/user/api-keys'].post.responses];
      for (const r of responses) {
        const props = resolve(r);
        assert.ok(props.includes('fingerprint') && props.includes('last4'), `api-key response schema not found: ${props.join(',')}`);
        assert.ok(!props.includes('key') && !props.includes('ciphertext'), `api-key response documents a secret: ${props.join(',')}`);
      }
      const responseSchema = doc.components.schemas.ApiKeyResponseDto;
      assert.ok(responseSchema?.properties, 'ApiKeyResponseDto schema missing');
      assert.deepEqual(Object.keys(responseSchema.properties!).filter((p) => /key|cipher|secret/i.test(p)), []);
      // The request schema does take the key (write-only), so the check above is about responses only.
      assert.ok(resolve(doc.paths['/api/user/api-keys'].post).includes('key'));
    });

    it('serves the Swagger UI as HTML without a token', async () => {
      const res = await api.http().get('/api/docs').redirects(2).expect(200);
      assert.match(String(res.headers['content-type']), /text\/html/);
      assert.match(res.text, /swagger/i);
    });
  });

  describe('logs', () => {
    it('writes JSON lines only', () => {
      assert.ok(api.logs.length > 10, `only ${api.logs.length} log lines`);
      for (const line of api.logs) {
        const parsed = JSON.parse(line) as { level?: unknown; time?: unknown };
        assert.equal(typeof parsed.level, 'number', line);
        assert.equal(typeof parsed.time, 'number', line);
      }
    });

    it('never logs authorization headers, valid or not', async () => {
      const canary = `canary-token-${randomBytes(12).toString('hex')}`;
      const before = api.logs.length;
      await api.http().get('/api/user/me').set('Authorization', `Bearer ${canary}`).expect(401);
      await api.http().get('/api/user/me').set('Authorization', `Basic ${canary}`).expect(401);
      await api.http().get(`/api/nope?token=${canary}`).set('Authorization', `Bearer ${canary}`).expect(404);
      await api.as(user).get('/api/user/me').set('X-Api-Key', canary).expect(200);
      assert.ok(api.logs.length > before, 'these requests were not logged at all');
      const signature = user.token.split('.')[2];
      for (const line of api.logs) {
        assert.ok(!line.includes(canary), `canary token in log line: ${line}`);
        assert.ok(!line.includes(signature), `a real token in log line: ${line}`);
        assert.ok(!/bearer /i.test(line), `authorization header in log line: ${line}`);
      }
    });
  });
});
