import assert from 'node:assert/strict';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { fakeProviderKey, FakeProviders, startFakeProviders } from '../support/fake-providers';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { eventually } from '../support/eventually';

const PARALLEL = 20;
/** fake-long streams 200 words over ~10 s, so every parallel call is still running when the last one asks. */
const LONG_MODEL = 'openai/fake-long';
const MAX_TOKENS = 400;

/**
 * Budgets under concurrency, through the real API against the fake providers on loopback: each call reserves
 * what it may spend before it is sent, and the reservation is swapped for the real usage when it ends.
 */
describe('budgets: reserve before the call, settle after it', () => {
  const admin = adminPool();
  let api: TestApi;
  let url: string;
  let issuer: OidcIssuerHandle;
  let fakes: FakeProviders;
  /** alice spends through her projects' gateway tokens, bob through chat against his monthly budget. */
  let alice: TestUser;
  let bob: TestUser;

  const auth = (u: TestUser) => ({ Authorization: `Bearer ${u.token}` });
  const upstreamCalls = async () => (await fakes.requests()).filter((r) => r.path.endsWith('/chat/completions')).length;
  const held = async (column: 'project_id' | 'user_id', id: string) =>
    (await admin.query(`select tokens, cost_usd from budget_reservations where ${column} = $1`, [id])).rows as { tokens: number; cost_usd: string | null }[];

  /** A project with a gateway token; its token budget is `tokenBudget`. */
  const projectWithToken = async (name: string, tokenBudget: number) => {
    const p = await api.http().post('/api/projects').set(auth(alice)).send({ name }).expect(202);
    await api.http().put(`/api/projects/${p.body.id}/budget`).set(auth(alice)).send({ token_budget: tokenBudget }).expect(200);
    const t = await api.http().post(`/api/projects/${p.body.id}/tokens`).set(auth(alice)).send({ name: 'budget-tests' }).expect(201);
    return { id: p.body.id as string, token: t.body.token as string };
  };
  const gateway = (token: string, body: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'count to two hundred' }], ...body }),
      signal,
    });

  /**
   * Starts the calls at once; while they run, notes the largest single reservation held, then waits for all.
   * Returns the statuses and that reservation.
   */
  const race = async (send: () => Promise<Response>, holder: () => Promise<{ tokens: number; cost_usd: string | null }[]>) => {
    const calls = Array.from({ length: PARALLEL }, () => send().then(async (r) => ({ status: r.status, body: await r.text() })));
    const seen = await eventually(async () => {
      const rows = await holder();
      return rows.length > 0 ? rows : undefined;
    }, 10_000, 'a reservation while the calls run');
    const results = await Promise.all(calls);
    return { statuses: results.map((r) => r.status), results, largest: seen.reduce((a, b) => (b.tokens > a.tokens ? b : a)) };
  };

  before(async () => {
    issuer = await startOidcIssuer();
    fakes = await startFakeProviders();
    api = await startTestApi(issuer, {
      OPENAI_BASE_URL: fakes.baseUrls.openai,
      // $100 per million tokens: one token costs $0.0001, the smallest step a monthly budget can express.
      MODEL_PRICES: JSON.stringify({ [LONG_MODEL]: { input: 100, output: 100 } }),
      PROVIDER_TIMEOUT_MS: '5000',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:budgets`,
    });
    await api.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    alice = await createUser(api, issuer, 'budget-alice');
    bob = await createUser(api, issuer, 'budget-bob');
    for (const u of [alice, bob]) {
      await api.http().post('/api/user/api-keys').set(auth(u)).send({ name: 'openai', provider: 'openai', key: fakeProviderKey('budget') }).expect(201);
    }
  });

  after(async () => {
    await api?.close();
    await fakes?.stop();
    await issuer?.stop();
    await admin.end();
  });

  it(`${PARALLEL} parallel gateway calls never spend more than the token budget plus one call's reservation`, async (t) => {
    const budget = 1000;
    const project = await projectWithToken('token race', budget);
    await fakes.reset();
    const { statuses, results, largest } = await race(
      () => gateway(project.token, { model: LONG_MODEL, stream: true, max_tokens: MAX_TOKENS }),
      () => held('project_id', project.id),
    );
    const admitted = statuses.filter((s) => s === 200).length;
    assert.equal(admitted + statuses.filter((s) => s === 429).length, PARALLEL, `only 200s and 429s: ${statuses}`);
    assert.ok(results.filter((r) => r.status === 200).every((r) => r.body.includes('[DONE]')), 'admitted calls streamed to the end');
    assert.ok(largest.tokens >= MAX_TOKENS, 'a reservation covers at least the requested max_tokens');

    const { rows } = await admin.query(
      `select coalesce(sum(prompt_tokens + completion_tokens), 0)::int as spent, count(*)::int as calls from usage_events where project_id = $1`,
      [project.id],
    );
    const spent = rows[0].spent as number;
    t.diagnostic(`admitted ${admitted}/${PARALLEL}, spent ${spent} tokens of ${budget} (one reservation: ${largest.tokens})`);
    assert.ok(admitted >= 1 && admitted < PARALLEL, `some calls admitted, not all (${admitted})`);
    assert.ok(spent <= budget + largest.tokens, `spent ${spent} tokens, budget ${budget} + one reservation ${largest.tokens}`);
    assert.equal(rows[0].calls, admitted, 'every admitted call recorded its usage');
    assert.equal(await upstreamCalls(), admitted, 'refused calls never reached the provider');
    assert.deepEqual(await held('project_id', project.id), [], 'every reservation was settled');
  });

  it(`${PARALLEL} parallel chat streams never spend more than the monthly budget plus one call's reservation`, async (t) => {
    const budgetUsd = 0.1;
    await api.http().put('/api/user/settings').set(auth(bob)).send({ monthly_budget_usd: budgetUsd }).expect(200);
    await fakes.reset();
    const { statuses, largest } = await race(
      () =>
        fetch(`${url}/api/chat`, {
          method: 'POST',
          headers: { ...auth(bob), 'content-type': 'application/json' },
          body: JSON.stringify({ model: LONG_MODEL, stream: true, message: 'count to two hundred', parameters: { max_tokens: MAX_TOKENS } }),
        }),
      () => held('user_id', bob.id),
    );
    const admitted = statuses.filter((s) => s === 200).length;
    assert.equal(admitted + statuses.filter((s) => s === 402).length, PARALLEL, `only 200s and 402s: ${statuses}`);
    const { rows } = await admin.query(`select coalesce(sum(cost_usd), 0)::float8 as spent, count(*)::int as calls from usage_events where user_id = $1`, [bob.id]);
    const reservationUsd = Number(largest.cost_usd);
    t.diagnostic(`admitted ${admitted}/${PARALLEL}, spent $${rows[0].spent} of $${budgetUsd} (one reservation: $${reservationUsd})`);
    assert.ok(reservationUsd > 0, 'a priced model reserves a cost');
    assert.ok(admitted >= 1 && admitted < PARALLEL, `some calls admitted, not all (${admitted})`);
    assert.ok(rows[0].spent <= budgetUsd + reservationUsd + 1e-9, `spent $${rows[0].spent}, budget $${budgetUsd} + one reservation $${reservationUsd}`);
    assert.equal(rows[0].calls, admitted);
    assert.equal(await upstreamCalls(), admitted, 'refused calls never reached the provider');
    assert.deepEqual(await held('user_id', bob.id), [], 'every reservation was settled');
  });

  it('counts a live reservation against the budget, and stops counting a stale one when it expires', async () => {
    const project = await projectWithToken('stale reservation', 100);
    const { rows: [stale] } = await admin.query(
      `insert into budget_reservations (user_id, project_id, tokens, expires_at) values ($1, $2, 1000000, now() + interval '1 hour') returning id`,
      [alice.id, project.id],
    );
    const blocked = await gateway(project.token, { model: 'openai/fake-echo' });
    assert.equal(blocked.status, 429, 'a reservation held by a running call counts');
    assert.match(((await blocked.json()) as { error: { message: string } }).error.message, /held by running calls/);

    // As if the API died mid-call long ago: the reservation was never settled.
    await admin.query(`update budget_reservations set expires_at = now() - interval '1 second' where id = $1`, [stale.id]);
    const served = await gateway(project.token, { model: 'openai/fake-echo' });
    assert.equal(served.status, 200, 'an expired reservation no longer blocks the project');
    assert.deepEqual(await held('project_id', project.id), [], 'the expired reservation was purged and the call settled');
  });

  it('settles the reservation however the call ends: provider error, client gone', async () => {
    const project = await projectWithToken('settle on failure', 1_000_000);
    const failed = await gateway(project.token, { model: 'openai/fake-500' });
    assert.equal(failed.status, 502);
    assert.deepEqual(await held('project_id', project.id), []);

    const abort = new AbortController();
    const res = await gateway(project.token, { model: LONG_MODEL, stream: true }, abort.signal);
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read();
    assert.equal((await held('project_id', project.id)).length, 1, 'the running stream holds its reservation');
    abort.abort();
    await reader.cancel().catch(() => undefined);
    await eventually(async () => ((await held('project_id', project.id)).length === 0 ? true : undefined), 10_000, 'the aborted call to settle');
    const { rows } = await admin.query(`select status from usage_events where project_id = $1 order by id`, [project.id]);
    assert.deepEqual(rows.map((r) => r.status), ['error', 'aborted']);
  });
});
