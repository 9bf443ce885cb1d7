import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { canaryKey, createApiKey, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import Redis from 'ioredis';

const MASKED_FIELDS = ['id', 'name', 'provider', 'base_url', 'last4', 'fingerprint', 'created_at', 'last_used_at', 'last_tested_at', 'last_test_ok'];

describe('provider API keys', () => {
  let issuer: OidcIssuerHandle;
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;
  const admin = adminPool();
  /** Every response body seen in this suite, searched for plaintext keys at the end. */
  const bodies: string[] = [];

  before(async () => {
    issuer = await startOidcIssuer();
    // The custom key below points at a local model server, which the operator must allow.
    api = await startTestApi(issuer, { MAX_API_KEYS_PER_USER: '3', OUTBOUND_ALLOW_HOSTS: '127.0.0.1' });
    alice = await createUser(api, issuer, 'alice');
    bob = await createUser(api, issuer, 'bob');
  });
  after(async () => {
    await api?.close();
    await issuer?.stop();
    await admin.end();
  });

  const record = <T extends { text: string }>(res: T): T => {
    bodies.push(res.text);
    return res;
  };

  it('stores a key and returns it masked: only the documented fields, never the key or ciphertext', async () => {
    const key = canaryKey('mask');
    const res = record(await api.as(alice).post('/api/user/api-keys').send({ name: 'Main', provider: 'openai', key }).expect(201));
    assert.deepEqual(Object.keys(res.body).sort(), [...MASKED_FIELDS].sort());
    assert.equal(res.body.last4, key.slice(-4));
    assert.match(res.body.fingerprint, /^sha256:[0-9a-f]{16}$/);
    assert.equal(res.body.provider, 'openai');
    assert.ok(!res.text.includes(key));
    const list = record(await api.as(alice).get('/api/user/api-keys').expect(200));
    assert.equal(list.body.page.total, 1);
    assert.deepEqual(Object.keys(list.body.data[0]).sort(), [...MASKED_FIELDS].sort());
    await api.as(alice).delete(`/api/user/api-keys/${res.body.id}`).expect(204);
  });

  it('requires a base URL for custom providers and stores it', async () => {
    const missing = record(await api.as(alice).post('/api/user/api-keys').send({ name: 'c', provider: 'custom', key: canaryKey() }));
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /base_url/);
    const ok = await createApiKey(api, alice, { name: 'local-llm', provider: 'custom', base_url: 'http://127.0.0.1:11434/v1' });
    assert.equal(ok.body.base_url, 'http://127.0.0.1:11434/v1');
    await api.as(alice).delete(`/api/user/api-keys/${ok.id}`).expect(204);
  });

  it('refuses duplicate names and the same key twice (409), and enforces the per-user limit', async () => {
    const first = await createApiKey(api, alice, { name: 'dup' });
    const sameName = record(await api.as(alice).post('/api/user/api-keys').send({ name: 'dup', provider: 'openai', key: canaryKey() }));
    assert.equal(sameName.status, 409);
    assert.match(sameName.body.message, /dup/);
    const sameKey = record(await api.as(alice).post('/api/user/api-keys').send({ name: 'other', provider: 'openai', key: first.key }));
    assert.equal(sameKey.status, 409);
    assert.ok(!sameKey.text.includes(first.key));
    // The same key under another user is fine (fingerprints are per user, so they do not link accounts).
    const bobsCopy = await createApiKey(api, bob, { key: first.key });
    assert.notEqual(bobsCopy.body.fingerprint, first.body.fingerprint);
    await createApiKey(api, alice);
    await createApiKey(api, alice);
    const over = record(await api.as(alice).post('/api/user/api-keys').send({ name: 'fourth', provider: 'xai', key: canaryKey() }));
    assert.equal(over.status, 409);
    assert.match(over.body.message, /at most 3/);
  });

  it("answers 404 (not 403) for another user's key, and leaves it alone", async () => {
    const bobs = await createApiKey(api, bob);
    const del = record(await api.as(alice).delete(`/api/user/api-keys/${bobs.id}`));
    assert.equal(del.status, 404);
    assert.equal(del.body.message, 'API key not found');
    const unknown = record(await api.as(alice).delete(`/api/user/api-keys/${randomUUID()}`));
    assert.deepEqual({ s: unknown.status, m: unknown.body.message }, { s: 404, m: del.body.message }, 'indistinguishable from a missing id');
    const bobsList = await api.as(bob).get('/api/user/api-keys').expect(200);
    assert.ok(bobsList.body.data.some((k: { id: string }) => k.id === bobs.id));
    const alicesList = await api.as(alice).get('/api/user/api-keys').expect(200);
    assert.ok(!alicesList.body.data.some((k: { id: string }) => k.id === bobs.id));
  });

  it('audits creation and deletion without the secret', async () => {
    const k = await createApiKey(api, bob, { name: 'audited' });
    await api.as(bob).delete(`/api/user/api-keys/${k.id}`).expect(204);
    const audit = record(await api.as(bob).get('/api/user/audit?action=api_key.deleted').expect(200));
    assert.equal(audit.body.data[0].target_id, k.id);
    assert.equal(audit.body.data[0].metadata.name, 'audited');
    const created = await api.as(bob).get('/api/user/audit?action=api_key.created').expect(200);
    assert.ok(created.body.data.some((e: { target_id: string }) => e.target_id === k.id));
    assert.ok(!created.text.includes(k.key));
  });

  it('leaves no plaintext key in any response, log line, database column or Redis value', async () => {
    const canary = canaryKey('planted');
    const planted = record(
      await api.as(bob).post('/api/user/api-keys').set('X-Request-Id', 'canary-request-0001').send({ name: 'planted', provider: 'anthropic', key: canary }).expect(201),
    );
    // Also send it where it does not belong: it must not be echoed or logged.
    record(await api.as(bob).post('/api/user/api-keys').send({ name: 'planted', provider: 'nope', key: canary, apiKey: canary }));
    record(await api.as(bob).put('/api/user/settings').send({ preferred_model: canary }));

    for (const body of bodies) assert.ok(!body.includes(canary), 'no response body contains the plaintext');
    assert.ok(api.logs.length > 0, 'logs were captured');
    assert.ok(api.logs.some((l) => l.includes('canary-request-0001')), 'the request was logged');
    for (const line of api.logs) assert.ok(!line.includes(canary), `log line leaks the key: ${line.slice(0, 200)}`);

    // Every text, bytea and json column of every table, searched for the plaintext (and its base64/hex forms).
    const { rows: cols } = await admin.query(
      `select table_name, column_name, data_type from information_schema.columns
       where table_schema = 'public' and data_type in ('text', 'character varying', 'bytea', 'jsonb', 'json')`,
    );
    const needles = [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('hex')];
    for (const c of cols) {
      const expr = c.data_type === 'bytea' ? `encode("${c.column_name}", 'escape')` : `"${c.column_name}"::text`;
      for (const needle of needles) {
        const { rows } = await admin.query(`select count(*)::int as n from "${c.table_name}" where ${expr} like '%' || $1 || '%'`, [needle]);
        assert.equal(rows[0].n, 0, `${c.table_name}.${c.column_name} contains the plaintext`);
      }
    }
    const stored = await admin.query('select ciphertext, key_version, last4 from provider_keys where id = $1', [planted.body.id]);
    assert.equal(stored.rows[0].key_version, 1);
    assert.ok(stored.rows[0].ciphertext.length >= canary.length + 28, 'nonce + ciphertext + tag');

    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const keys = await redis.keys(`${api.config.REDIS_PREFIX}:*`);
      for (const k of keys) {
        const type = await redis.type(k);
        const value = type === 'string' ? await redis.get(k) : JSON.stringify(await redis.dump(k));
        assert.ok(!String(value).includes(canary), `redis ${k} contains the plaintext`);
      }
    } finally {
      redis.disconnect();
    }
  });
});
