import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import Redis from 'ioredis';
import { generateProjectToken } from '@pantheon/crypto';
import { createPrismaClient } from '@pantheon/db';
import { UserGenerations } from '@pantheon/events';
import { GatewayInvalidatingProjects } from '@pantheon/worker/testing';
import { createApiKey, createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { fakeProviderKey, FakeProviders, startFakeProviders } from '../support/fake-providers';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/** The bound this suite states for changes made behind the API's back (plain SQL). */
const CACHE_TTL_MS = 1500;
/** Time a loaded machine may add to the bound before the next request notices (scheduling, not caching). */
const SLACK_MS = 1500;

/**
 * The LLM gateway's per-process cache (project tokens, routing, decrypted keys, "no budget applies") against
 * what must never be stale: two API instances share Redis and the database; changes go through one, calls
 * through the other, with the official SDKs against the fake providers.
 */
describe('LLM gateway cache: revocations, deletions and budgets are seen at once', () => {
  let issuer: OidcIssuerHandle;
  let fakes: FakeProviders;
  let a: TestApi;
  let b: TestApi;
  let alice: TestUser;
  const admin = adminPool();
  const prefix = `${process.env.REDIS_PREFIX}:gw-cache`;

  const openai = (api: TestApi, token: string) => new OpenAI({ apiKey: token, baseURL: `${api.url()}/v1`, maxRetries: 0 });
  const anthropic = (api: TestApi, token: string) => new Anthropic({ apiKey: token, baseURL: api.url(), maxRetries: 0 });
  const chat = (api: TestApi, token: string, content = 'hello') =>
    openai(api, token).chat.completions.create({ model: 'openai/fake-echo', messages: [{ role: 'user', content }] });
  const refused = (err: unknown) => err instanceof OpenAI.AuthenticationError;

  const projects: string[] = [];
  const newProject = async (user: TestUser) => {
    // The smallest VM: other suites of the run share the platform's capacity.
    const project = await createProject(a, user, { vm: { ram_gb: 2, cpu_cores: 1 } });
    projects.push(project.id);
    const token = (await a.as(user).post(`/api/projects/${project.id}/tokens`).send({ name: 'agent' }).expect(201)).body.token as string;
    return { id: project.id as string, name: project.name as string, token };
  };

  before(async () => {
    issuer = await startOidcIssuer();
    fakes = await startFakeProviders();
    const env = {
      ...fakes.providerEnv,
      REDIS_PREFIX: prefix,
      GATEWAY_CACHE_TTL_MS: String(CACHE_TTL_MS),
      MODEL_PRICES: JSON.stringify({ 'openai/fake-echo': { input: 1, output: 1 } }),
      LOG_LEVEL: 'warn',
    };
    a = await startTestApi(issuer, env);
    b = await startTestApi(issuer, env);
    await a.listen();
    await b.listen();
    alice = await createUser(a, issuer, 'gwc-alice');
    await createApiKey(a, alice, { name: 'openai', provider: 'openai', key: fakeProviderKey('gwc-openai') });
    await createApiKey(a, alice, { name: 'anthropic', provider: 'anthropic', key: fakeProviderKey('gwc-anthropic') });
  });

  after(async () => {
    await a?.close();
    await b?.close();
    // No worker runs here to deprovision them: give their subnets and capacity back as its deletion would.
    await admin.query(`delete from subnet_leases where project_id = any($1::uuid[])`, [projects]);
    await admin.query(`update projects set status = 'deleted', subnet_index = null, deleted_at = now() where id = any($1::uuid[])`, [projects]);
    await fakes?.stop();
    await issuer?.stop();
    await admin.end();
  });

  it('refuses a revoked project token on every instance as soon as the DELETE returns', async () => {
    const project = await newProject(alice);
    // Warm both instances' caches (token, routing, key, budgets) with both wire formats.
    for (const api of [a, b]) {
      for (let i = 0; i < 3; i++) await chat(api, project.token);
      await anthropic(api, project.token).messages.create({ model: 'anthropic/fake-echo', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    }
    const tokenId = (await a.as(alice).get(`/api/projects/${project.id}/tokens`).expect(200)).body[0].id;
    await a.as(alice).delete(`/api/projects/${project.id}/tokens/${tokenId}`).expect(204);
    for (const api of [b, a]) {
      await assert.rejects(chat(api, project.token), refused);
      await assert.rejects(
        anthropic(api, project.token).messages.create({ model: 'anthropic/fake-echo', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
        (err: unknown) => err instanceof Anthropic.AuthenticationError,
      );
    }
  });

  it(`refuses a token revoked behind the API's back (plain SQL) within GATEWAY_CACHE_TTL_MS (${CACHE_TTL_MS} ms)`, async () => {
    const project = await newProject(alice);
    for (const api of [a, b]) for (let i = 0; i < 3; i++) await chat(api, project.token);
    await admin.query(`update project_tokens set revoked_at = now() where project_id = $1`, [project.id]);
    const revokedAt = Date.now();
    for (const api of [a, b]) {
      let refusedAfter: number | undefined;
      while (refusedAfter === undefined && Date.now() - revokedAt < CACHE_TTL_MS + SLACK_MS) {
        try {
          await chat(api, project.token);
          await new Promise((r) => setTimeout(r, 50));
        } catch (err) {
          assert.ok(refused(err), String(err));
          refusedAfter = Date.now() - revokedAt;
        }
      }
      assert.ok(refusedAfter !== undefined, `still accepted ${CACHE_TTL_MS + SLACK_MS} ms after the revocation`);
      // And it stays refused.
      await assert.rejects(chat(api, project.token), refused);
    }
  });

  it('never uses a deleted provider key after the DELETE returns, on any instance', async () => {
    const bob = await createUser(a, issuer, 'gwc-bob');
    const older = await createApiKey(a, bob, { name: 'older', provider: 'openai', key: fakeProviderKey('gwc-older') });
    const newer = await createApiKey(a, bob, { name: 'newer', provider: 'openai', key: fakeProviderKey('gwc-newer') });
    const project = await newProject(bob);
    const keyOf = async (marker: string) => {
      const seen = (await fakes.requests()).find((r) => JSON.stringify(r.body).includes(marker));
      assert.ok(seen, `the fake saw ${marker}`);
      return seen.headers.authorization;
    };
    for (const api of [a, b]) {
      const marker = `warm-${api === a ? 'a' : 'b'}-${Date.now()}`;
      await chat(api, project.token, marker);
      assert.equal(await keyOf(marker), `Bearer ${newer.key}`, 'the newest key serves calls');
    }
    // Calls keep going through B while the key is deleted through A; any call started after the DELETE returned
    // must reach the provider with the remaining key.
    let deleted = false;
    let stop = false;
    const after: string[] = [];
    const loop = (async () => {
      for (let n = 0; !stop; n++) {
        const marker = `loop-${n}-${Date.now()}`;
        const startedAfterDelete = deleted;
        await chat(b, project.token, marker);
        if (startedAfterDelete) after.push(marker);
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await a.as(bob).delete(`/api/user/api-keys/${newer.id}`).expect(204);
    deleted = true;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await loop;
    for (const api of [b, a]) {
      const marker = `after-${api === a ? 'a' : 'b'}-${Date.now()}`;
      await chat(api, project.token, marker);
      after.push(marker);
    }
    assert.ok(after.length >= 3, `calls after the delete: ${after.length}`);
    for (const marker of after) assert.equal(await keyOf(marker), `Bearer ${older.key}`, `${marker} used the remaining key`);
  });

  it("refuses a project's tokens once the project is deleted", async () => {
    const project = await newProject(alice);
    // A process caches a token from its second sight on (the first learns whose generation to read).
    for (const api of [a, b]) for (let i = 0; i < 3; i++) await chat(api, project.token);
    await a.as(alice).delete(`/api/projects/${project.id}?confirm=${encodeURIComponent(project.name)}`).expect(202);
    for (const api of [b, a]) await assert.rejects(chat(api, project.token), refused);
  });

  describe("the worker's writes", () => {
    let prisma: ReturnType<typeof createPrismaClient>;
    let redis: Redis;
    let worker: GatewayInvalidatingProjects;

    before(() => {
      prisma = createPrismaClient({ connectionString: process.env.DATABASE_WORKER_URL!, poolMax: 2, applicationName: 'gw-cache-test' });
      redis = new Redis(process.env.REDIS_URL!, { keyPrefix: `${prefix}:` });
      // The worker's own project store (role pantheon_worker), as worker.module.ts builds it.
      worker = new GatewayInvalidatingProjects(prisma, new UserGenerations(redis, { redisPrefix: prefix }));
    });
    after(async () => {
      await prisma?.$disconnect();
      redis?.disconnect();
    });

    const issueToolsToken = async (projectId: string) => {
      const issued = generateProjectToken();
      await worker.issueToolsToken({ projectId, userId: alice.id, hash: issued.hash, prefix: issued.displayPrefix, expiresAt: new Date(Date.now() + 3600_000) });
      return issued.token;
    };

    it("refuses a failed project's tools token as soon as the worker has marked it failed", async () => {
      const project = await newProject(alice);
      const tools = await issueToolsToken(project.id);
      for (const api of [a, b]) for (let i = 0; i < 2; i++) await chat(api, tools);
      // What the provision job does on its last failed attempt.
      await worker.revokeToolsTokens(project.id);
      assert.equal(await worker.updateUnlessDeleting(project.id, { status: 'failed', lastError: 'test' }), true);
      for (const api of [b, a]) await assert.rejects(chat(api, tools), refused);
    });

    it('refuses the previous tools token as soon as the worker has issued a new one', async () => {
      const project = await newProject(alice);
      const first = await issueToolsToken(project.id);
      for (const api of [a, b]) for (let i = 0; i < 3; i++) await chat(api, first);
      const second = await issueToolsToken(project.id);
      for (const api of [b, a]) {
        await assert.rejects(chat(api, first), refused);
        assert.equal((await chat(api, second)).choices[0].message.content, 'echo: hello');
      }
    });
  });

  it('applies a token budget or a monthly budget set after the cache learnt that none applied', async () => {
    const carol = await createUser(a, issuer, 'gwc-carol');
    await createApiKey(a, carol, { name: 'openai', provider: 'openai', key: fakeProviderKey('gwc-carol') });
    const project = await newProject(carol);
    for (const api of [a, b]) for (let i = 0; i < 3; i++) await chat(api, project.token);
    // Unbudgeted calls' usage is written behind them (at most USAGE_FLUSH_INTERVAL_MS later); a budget counts what
    // is written. This test is about the cache, so it starts from written usage.
    await a.flushUsage();
    await b.flushUsage();
    // Already used more than this: every further call is refused (429), on both instances.
    await a.as(carol).put(`/api/projects/${project.id}/budget`).send({ token_budget: 1 }).expect(200);
    for (const api of [b, a]) await assert.rejects(chat(api, project.token), (err: unknown) => err instanceof OpenAI.RateLimitError);
    await a.as(carol).put(`/api/projects/${project.id}/budget`).send({ token_budget: null }).expect(200);
    for (const api of [b, a]) await chat(api, project.token);
    // A monthly budget of $0 is spent before any call: 402.
    await a.as(carol).put('/api/user/settings').send({ monthly_budget_usd: 0 }).expect(200);
    for (const api of [b, a]) await assert.rejects(chat(api, project.token), (err: unknown) => err instanceof OpenAI.APIError && err.status === 402);
    const { rows } = await admin.query(`select count(*)::int as n from budget_reservations where project_id = $1`, [project.id]);
    assert.equal(rows[0].n, 0, 'no reservation left behind');
  });

  it('records every call (N calls, concurrent, through both instances) with its key counters', async () => {
    const dave = await createUser(a, issuer, 'gwc-dave');
    const key = await createApiKey(a, dave, { name: 'openai', provider: 'openai', key: fakeProviderKey('gwc-dave') });
    const project = await newProject(dave);
    const N = 60;
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, worker) => {
        while (next < N) {
          next++;
          await chat(worker % 2 === 0 ? a : b, project.token, `call ${next}`);
        }
      }),
    );
    await a.flushUsage();
    await b.flushUsage();
    const { rows } = await admin.query(
      `select count(*)::int as n, sum(prompt_tokens)::int as prompt, sum(completion_tokens)::int as completion from usage_events where project_id = $1 and status = 'ok'`,
      [project.id],
    );
    assert.equal(rows[0].n, N, 'one usage row per call');
    const counters = await admin.query(`select request_count::int, prompt_tokens::int, completion_tokens::int from provider_keys where id = $1`, [key.id]);
    assert.deepEqual(counters.rows[0], { request_count: N, prompt_tokens: rows[0].prompt, completion_tokens: rows[0].completion });
  });
});
