import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { startDnsServer, TestDnsServer } from '../support/dns-server';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

// Issue 9, item 1: a custom provider's base_url must never reach internal addresses, however spelled, at key
// creation or at call time; redirects are not followed and hostile bodies are cut off.

const MAX_BODY = 1024 * 1024;
const MAX_SSE_LINE = 64 * 1024;
/** What the API may have let the kernel and undici buffer before it stopped reading an endless body. */
const BOUNDED = 64 * 1024 * 1024;

interface Listener {
  server: Server;
  /** TCP connections accepted (a canary must see none). */
  connections: number;
  requests: { method: string; url: string; sent: number; closed: boolean }[];
}

function listen(host: string, port: number, handler?: (req: IncomingMessage, res: ServerResponse, log: Listener['requests'][number]) => void): Promise<Listener> {
  const l: Listener = { server: undefined as unknown as Server, connections: 0, requests: [] };
  l.server = createServer((req, res) => {
    const log = { method: req.method ?? '', url: req.url ?? '', sent: 0, closed: false };
    l.requests.push(log);
    res.on('close', () => (log.closed = true));
    // One connection per request, so each call resolves (and is checked) anew.
    res.setHeader('Connection', 'close');
    if (handler) handler(req, res, log);
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"data":[{"id":"internal-secret"}]}');
  });
  l.server.on('connection', () => l.connections++);
  return new Promise((resolve, reject) => {
    l.server.once('error', reject);
    l.server.listen(port, host, () => resolve(l));
  });
}

/** Writes `head`, then `chunk` forever (as fast as the reader takes it), counting bytes until the socket closes. */
function endless(res: ServerResponse, log: { sent: number }, contentType: string, head: string, chunk: string): void {
  res.writeHead(200, { 'Content-Type': contentType });
  res.write(head);
  const data = Buffer.from(chunk.repeat(Math.ceil(16384 / chunk.length)));
  const pump = (): void => {
    let more = true;
    while (more && !res.destroyed) {
      more = res.write(data);
      log.sent += data.length;
    }
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

async function body(req: IncomingMessage): Promise<{ stream?: boolean }> {
  let text = '';
  for await (const c of req) text += c;
  return text ? (JSON.parse(text) as { stream?: boolean }) : {};
}

/** An OpenAI-compatible server the operator allowed; the first path segment picks its behaviour. */
function allowedModelServer(canaryOrigin: string) {
  return (req: IncomingMessage, res: ServerResponse, log: { sent: number }): void => {
    const mode = (req.url ?? '').split('/')[1];
    void body(req).then(({ stream }) => {
      const isChat = (req.url ?? '').endsWith('/chat/completions');
      if (mode === 'redirect') {
        res.writeHead(isChat ? 307 : 302, { Location: `${canaryOrigin}/v1/${isChat ? 'chat/completions' : 'models'}` }).end();
      } else if (mode === 'endless' && isChat && stream) {
        endless(res, log, 'text/event-stream', 'data: {"choices":[{"index":0,"delta":{"content":"', 'a');
      } else if (mode === 'endless') {
        endless(res, log, 'application/json', '{"data":[', '{"id":"m"},');
      } else if (mode === 'flood') {
        // Short, well-formed event-stream lines answering a request that is read whole: bounded in total.
        endless(res, log, 'text/event-stream', '', 'data: {}\n\n');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"object":"list","data":[{"id":"m1"},{"id":"m2"}]}');
      }
    });
  };
}

/** Parses a chat-API SSE body into [event, data] pairs. */
function sseEvents(text: string): { event: string; data: { statusCode?: number; message?: string } }[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((b) => ({ event: /^event: (.+)$/m.exec(b)?.[1] ?? 'message', data: JSON.parse(/^data: (.+)$/m.exec(b)?.[1] ?? 'null') }));
}

describe('SSRF: the outbound policy for a custom provider base_url', () => {
  let issuer: OidcIssuerHandle;
  let dns: TestDnsServer;
  let api: TestApi;
  let allowed: Listener;
  let named: Listener;
  let canary4: Listener;
  let canary6: Listener;
  /** One port for the allowed server (127.0.0.2) and both canaries (127.0.0.1, ::1), so a swapped address lands on a canary. */
  let port: number;
  const admin = adminPool();
  const auth = (u: TestUser) => ({ Authorization: `Bearer ${u.token}` });
  const canariesUntouched = (what: string) => {
    assert.equal(canary4.connections, 0, `${what}: the IPv4 canary was contacted: ${JSON.stringify(canary4.requests)}`);
    assert.equal(canary6.connections, 0, `${what}: the IPv6 canary was contacted: ${JSON.stringify(canary6.requests)}`);
  };

  /** Rewrites a stored key's base_url (as if stored before this fix) and clears its last test, so calls pick it. */
  const setBaseUrl = (keyId: string, baseUrl: string) =>
    admin.query('update provider_keys set base_url = $1, last_test_ok = null where id = $2', [baseUrl, keyId]);

  /** A custom key stored as if before this fix: created with an allowed base_url, then rewritten in the database. */
  async function storedKey(user: TestUser, baseUrl: string): Promise<string> {
    const res = await api
      .http()
      .post('/api/user/api-keys')
      .set(auth(user))
      .send({ name: `k-${randomBytes(3).toString('hex')}`, provider: 'custom', key: `sk-ssrf-${randomBytes(12).toString('hex')}`, base_url: `http://127.0.0.2:${port}/ok/v1` })
      .expect(201);
    await setBaseUrl(res.body.id, baseUrl);
    return res.body.id as string;
  }

  before(async () => {
    issuer = await startOidcIssuer();
    dns = await startDnsServer();
    canary4 = await listen('127.0.0.1', 0);
    port = (canary4.server.address() as AddressInfo).port;
    canary6 = await listen('::1', port);
    allowed = await listen('127.0.0.2', port, allowedModelServer(`http://127.0.0.1:${port}`));
    named = await listen('127.0.0.3', port, allowedModelServer(`http://127.0.0.1:${port}`));

    dns.set('models.evil.test', ['127.0.0.1']);
    dns.set('six.evil.test', ['::1']);
    dns.set('mixed.evil.test', ['8.8.8.8', '127.0.0.1']);
    dns.set('metadata.evil.test', ['169.254.169.254']);
    dns.set('db.evil.test', ['10.0.1.4']);
    dns.set('models.allowed.test', ['127.0.0.3']);
    api = await startTestApi(issuer, {
      OUTBOUND_DNS_SERVERS: dns.address,
      OUTBOUND_ALLOW_HOSTS: 'models.allowed.test,127.0.0.2/32',
      OUTBOUND_MAX_BODY_BYTES: String(MAX_BODY),
      OUTBOUND_MAX_SSE_LINE_BYTES: String(MAX_SSE_LINE),
      MODELS_CACHE_TTL_S: '0',
      // Tests here rewrite a stored base_url with plain SQL between gateway calls: a change the gateway's cache
      // would see only within GATEWAY_CACHE_TTL_MS (the policy itself is checked at every connection either way).
      GATEWAY_CACHE_TTL_MS: '0',
      PROVIDER_TIMEOUT_MS: '10000',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:ssrf`,
    });

    // The canaries work: a direct request reaches each (then the counters start from zero).
    for (const origin of [`http://127.0.0.1:${port}`, `http://[::1]:${port}`]) assert.equal((await fetch(`${origin}/probe`)).status, 200);
    assert.equal(canary4.connections + canary6.connections, 2);
    canary4.connections = canary6.connections = 0;
    canary4.requests.length = canary6.requests.length = 0;
  });

  after(async () => {
    await api?.close();
    for (const l of [allowed, named, canary4, canary6]) await new Promise((r) => l?.server.close(r));
    await dns?.stop();
    await issuer?.stop();
    await admin.end();
  });

  /** Internal targets, each spelled so that a naive check would miss it, with the rule the refusal must name. */
  const internal = (): [string, RegExp][] => {
    const loopback = /resolves to a loopback address/;
    const unspecified = /resolves to an unspecified address/;
    const credentials = /^base_url must not contain credentials \(user:password@\)$/;
    return [
      [`http://127.0.0.1:${port}/v1`, /resolves to a loopback address \(127\.0\.0\.1\)/],
      [`http://localhost:${port}/v1`, /resolves to a loopback address \(localhost\)/],
      [`http://localhost.:${port}/v1`, loopback],
      [`http://LocalHost:${port}/v1`, loopback],
      [`http://api.localhost:${port}/v1`, loopback],
      [`http://2130706433:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      [`http://0x7f000001:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      [`http://0177.0.0.1:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      [`http://127.1:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      [`http://0x7f.1:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      [`http://%31%32%37.0.0.1:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      [`http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      // Credentials are refused outright, so `public@internal` cannot mislead anyone reading the URL.
      [`http://x@127.0.0.1:${port}/v1`, credentials],
      [`http://x:y@localhost:${port}/v1`, credentials],
      [`http://models.example.com@127.0.0.1:${port}/v1`, credentials],
      [`https://127.0.0.1:${port}/v1`, loopback],
      [`http://0.0.0.0:${port}/v1`, unspecified],
      [`http://0:${port}/v1`, unspecified],
      [`http://[::ffff:127.0.0.1]:${port}/v1`, /loopback address \(::ffff:7f00:1 = 127\.0\.0\.1\)/],
      [`http://[::ffff:7f00:1]:${port}/v1`, loopback],
      [`http://[::127.0.0.1]:${port}/v1`, loopback],
      [`http://[64:ff9b::127.0.0.1]:${port}/v1`, loopback],
      [`http://[::1]:${port}/v1`, /loopback address \(::1\)/],
      [`http://[0:0:0:0:0:0:0:1]:${port}/v1`, loopback],
      [`http://[::]:${port}/v1`, unspecified],
      [`http://models.evil.test:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      [`http://MODELS.evil.test.:${port}/v1`, loopback],
      [`http://six.evil.test:${port}/v1`, /loopback address \(::1\)/],
      [`http://mixed.evil.test:${port}/v1`, /loopback address \(127\.0\.0\.1\)/],
      [`http://metadata.evil.test/latest`, /link-local address \(169\.254\.169\.254\)/],
      [`http://169.254.169.254/latest/meta-data`, /link-local address/],
      [`http://db.evil.test:5432/v1`, /platform network \(10\.0\.1\.0\/24\)/],
      [`http://10.0.1.3:6379/v1`, /platform network/],
      [`http://172.30.7.1:8090/v1`, /project networks \(172\.30\.0\.0\/16\)/],
      [`http://192.168.1.1/v1`, /private \(RFC 1918\) address/],
      [`http://100.64.0.1/v1`, /carrier-grade NAT/],
      [`http://198.18.0.1/v1`, /benchmarking address/],
      [`http://224.0.0.1/v1`, /multicast address/],
      [`http://255.255.255.255/v1`, /broadcast address/],
      [`http://[fd00::1]/v1`, /unique-local/],
      [`http://[fe80::1]/v1`, /link-local address/],
      [`http://[::ffff:169.254.169.254]/v1`, /link-local address/],
    ];
  };

  it('refuses every internal spelling at key creation with a 400 naming the rule; the canaries receive nothing', async () => {
    const user = await createUser(api, issuer, 'ssrf-create');
    const byDto: string[] = [];
    for (const [baseUrl, rule] of internal()) {
      const res = await api.http().post('/api/user/api-keys').set(auth(user)).send({ name: 'x', provider: 'custom', key: 'sk-ssrf-create-key', base_url: baseUrl });
      assert.equal(res.status, 400, `${baseUrl}: ${res.status} ${res.text}`);
      // The DTO's URL syntax check stops a few spellings first; call time (below) runs all of them through the policy.
      if (res.body.message === 'base_url must be an http(s) URL') byDto.push(baseUrl);
      else assert.match(res.body.message, rule, baseUrl);
    }
    assert.deepEqual(
      byDto.map((u) => new URL(u).host),
      ['localhost.', '127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '0.0.0.0', 'models.evil.test.'].map((h) => `${h}:${port}`),
    );
    const other: [string, RegExp][] = [
      ['http://nowhere.evil.test/v1', /^base_url host nowhere\.evil\.test does not resolve to an address$/],
      [`http://127.0.0.2:${port}/ok/v1#`, /must not contain a query \(\?\) or fragment \(#\)/],
      [`http://127.0.0.2:${port}/ok/v1?x=`, /must not contain a query/],
      [`http://u:p@127.0.0.2:${port}/ok/v1`, /^base_url must not contain credentials/],
    ];
    for (const [baseUrl, rule] of other) {
      const res = await api.http().post('/api/user/api-keys').set(auth(user)).send({ name: 'x', provider: 'custom', key: 'sk-ssrf-create-key', base_url: baseUrl });
      assert.equal(res.status, 400, `${baseUrl}: ${res.text}`);
      assert.match(res.body.message, rule, baseUrl);
    }
    const keys = await api.http().get('/api/user/api-keys').set(auth(user)).expect(200);
    assert.equal(keys.body.data.length, 0);
    canariesUntouched('key creation');
  });

  it('accepts hosts the operator allowed, by name and by CIDR, and talks to them through the policy', async () => {
    const user = await createUser(api, issuer, 'ssrf-allowed');
    for (const [baseUrl, server] of [
      [`http://models.allowed.test:${port}/ok/v1`, named],
      [`http://127.0.0.2:${port}/ok/v1`, allowed],
    ] as const) {
      const before = server.requests.length;
      const created = await api.http().post('/api/user/api-keys').set(auth(user)).send({ name: baseUrl, provider: 'custom', key: `sk-ssrf-${randomBytes(8).toString('hex')}`, base_url: baseUrl }).expect(201);
      const test = await api.http().post(`/api/user/api-keys/${created.body.id}/test`).set(auth(user)).expect(200);
      assert.equal(test.body.ok, true, `${baseUrl}: ${test.text}`);
      assert.deepEqual(server.requests.slice(before).map((r) => `${r.method} ${r.url}`), ['GET /ok/v1/models']);
      await api.http().delete(`/api/user/api-keys/${created.body.id}`).set(auth(user)).expect(204);
    }
    canariesUntouched('allowed hosts');
  });

  it('refuses a base_url stored before this fix at call time: key test, model list, chat, streamed chat and the LLM gateway', async () => {
    const user = await createUser(api, issuer, 'ssrf-stored');
    const keyId = await storedKey(user, 'http://127.0.0.1/v1');
    // Every spelling through the key test (the cheapest call).
    for (const [baseUrl, rule] of internal()) {
      await setBaseUrl(keyId, baseUrl);
      const res = await api.http().post(`/api/user/api-keys/${keyId}/test`).set(auth(user)).expect(200);
      assert.equal(res.body.ok, false, `${baseUrl}: ${res.text}`);
      assert.match(res.body.error, rule, baseUrl);
    }
    const project = await api.http().post('/api/projects').set(auth(user)).send({ name: 'ssrf project' }).expect(202);
    const token = (await api.http().post(`/api/projects/${project.body.id}/tokens`).set(auth(user)).send({ name: 'ssrf' }).expect(201)).body.token as string;
    const some = internal().filter(([u]) => /\/\/(127\.0\.0\.1|localhost|0x7f000001|\[::ffff:127\.0\.0\.1\]|\[::1\]|models\.evil\.test|db\.evil\.test)[:/]/.test(u));
    assert.equal(some.length, 8);
    for (const [baseUrl, rule] of some) {
      await setBaseUrl(keyId, baseUrl);
      const models = await api.http().get('/api/models').set(auth(user)).expect(200);
      const failure = models.body.errors.find((e: { provider: string }) => e.provider === 'custom');
      assert.match(failure?.error ?? '', rule, `${baseUrl}: ${models.text}`);
      assert.ok(!models.text.includes('internal-secret'));

      const chat = await api.http().post('/api/chat').set(auth(user)).send({ model: 'custom/m1', message: 'hi', stream: false });
      assert.equal(chat.status, 400, `${baseUrl}: ${chat.text}`);
      assert.match(chat.body.message, rule);

      const streamed = await api.http().post('/api/chat').set(auth(user)).send({ model: 'custom/m1', message: 'hi', stream: true });
      const events = sseEvents(streamed.text);
      assert.equal(events.at(-1)?.event, 'error', `${baseUrl}: ${streamed.text}`);
      assert.equal(events.at(-1)?.data.statusCode, 400);
      assert.match(events.at(-1)?.data.message ?? '', rule);

      const gateway = await api.http().post('/v1/chat/completions').set('Authorization', `Bearer ${token}`).send({ model: 'custom/m1', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(gateway.status, 400, `${baseUrl}: ${gateway.text}`);
      assert.match(gateway.body.error.message, rule);
    }
    await api.flushUsage();
    const usage = await admin.query(`select distinct error_code from usage_events where user_id = $1 and provider = 'custom'`, [user.id]);
    assert.deepEqual(usage.rows.map((r) => r.error_code).sort(), ['ADDRESS_NOT_ALLOWED', 'KEY_CHECK_FAILED']);
    canariesUntouched('stored keys');
  });

  it('checks the address it connects to at each call: a name that rebinds to loopback is refused, over real DNS', async () => {
    const user = await createUser(api, issuer, 'ssrf-rebind');
    // Allowed at creation and at the first call, then the name answers with loopback.
    dns.set('rebind.evil.test', ['127.0.0.2'], ['127.0.0.2'], ['127.0.0.1']);
    const created = await api.http().post('/api/user/api-keys').set(auth(user)).send({ name: 'rebind', provider: 'custom', key: 'sk-ssrf-rebind-key', base_url: `http://rebind.evil.test:${port}/ok/v1` }).expect(201);
    const first = await api.http().post(`/api/user/api-keys/${created.body.id}/test`).set(auth(user)).expect(200);
    assert.equal(first.body.ok, true, first.text);
    const second = await api.http().post(`/api/user/api-keys/${created.body.id}/test`).set(auth(user)).expect(200);
    assert.equal(second.body.ok, false);
    assert.equal(second.body.error, 'base_url resolves to a loopback address (127.0.0.1), which is not allowed');
    // One lookup per call (creation, first call, second call): what was checked is what was connected to.
    assert.equal(dns.queries('rebind.evil.test'), 3);
    canariesUntouched('rebinding');
  });

  it('does not follow a redirect from an allowed server to loopback', async () => {
    const user = await createUser(api, issuer, 'ssrf-redirect');
    const created = await api.http().post('/api/user/api-keys').set(auth(user)).send({ name: 'redirect', provider: 'custom', key: 'sk-ssrf-redirect-key', base_url: `http://127.0.0.2:${port}/redirect/v1` }).expect(201);
    const test = await api.http().post(`/api/user/api-keys/${created.body.id}/test`).set(auth(user)).expect(200);
    assert.equal(test.body.ok, false);
    assert.equal(test.body.error, 'base_url answered with a redirect (302), which is not followed');
    await setBaseUrl(created.body.id, `http://127.0.0.2:${port}/redirect/v1`);
    const chat = await api.http().post('/api/chat').set(auth(user)).send({ model: 'custom/m1', message: 'hi', stream: false }).expect(400);
    assert.equal(chat.body.message, 'base_url answered with a redirect (307), which is not followed');
    assert.deepEqual(allowed.requests.filter((r) => r.url.startsWith('/redirect/')).map((r) => `${r.method} ${r.url}`), ['GET /redirect/v1/models', 'POST /redirect/v1/chat/completions']);
    canariesUntouched('redirect');
  });

  it('cuts an endless body and an endless SSE line with a clear error, reading a bounded amount', async () => {
    const user = await createUser(api, issuer, 'ssrf-endless');
    const created = await api.http().post('/api/user/api-keys').set(auth(user)).send({ name: 'endless', provider: 'custom', key: 'sk-ssrf-endless-key', base_url: `http://127.0.0.2:${port}/endless/v1` }).expect(201);
    const rssBefore = process.memoryUsage().rss;
    const sent = (path: string) => {
      const r = allowed.requests.filter((q) => q.url === path).at(-1);
      assert.ok(r, `no request for ${path}`);
      return r;
    };

    const test = await api.http().post(`/api/user/api-keys/${created.body.id}/test`).set(auth(user)).expect(200);
    assert.equal(test.body.ok, false);
    assert.equal(test.body.error, `base_url sent a response body larger than ${MAX_BODY} bytes`);
    await setBaseUrl(created.body.id, `http://127.0.0.2:${port}/endless/v1`);

    const chat = await api.http().post('/api/chat').set(auth(user)).send({ model: 'custom/m1', message: 'hi', stream: false }).expect(502);
    assert.equal(chat.body.message, `base_url sent a response body larger than ${MAX_BODY} bytes`);

    const streamed = await api.http().post('/api/chat').set(auth(user)).send({ model: 'custom/m1', message: 'hi', stream: true }).expect(200);
    const last = sseEvents(streamed.text).at(-1);
    assert.equal(last?.event, 'error', streamed.text.slice(0, 500));
    assert.deepEqual(last?.data, { statusCode: 502, message: `base_url sent an event-stream line longer than ${MAX_SSE_LINE} bytes` });

    // An event stream answering a call that reads its body whole is bounded in total, not per line.
    await setBaseUrl(created.body.id, `http://127.0.0.2:${port}/flood/v1`);
    const flood = await api.http().post('/api/chat').set(auth(user)).send({ model: 'custom/m1', message: 'hi', stream: false }).expect(502);
    assert.equal(flood.body.message, `base_url sent a response body larger than ${MAX_BODY} bytes`);

    // The API hung up each time after reading about the limit; the server could push only what buffers hold.
    for (const path of ['/endless/v1/models', '/endless/v1/chat/completions', '/flood/v1/chat/completions']) {
      const r = sent(path);
      await waitFor(() => r.closed, `${path} closed`);
      assert.ok(r.sent < BOUNDED, `${path}: ${r.sent} bytes sent before the API hung up`);
      process.stdout.write(`# ${r.method} ${path}: ${r.sent} bytes sent before the API hung up\n`);
    }
    const growth = process.memoryUsage().rss - rssBefore;
    process.stdout.write(`# rss growth over the endless calls: ${Math.round(growth / 1024 / 1024)} MiB\n`);
    assert.ok(growth < 256 * 1024 * 1024, `rss grew by ${growth} bytes`);
    canariesUntouched('endless bodies');
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
