import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { metricsUrl } from '@pantheon/api/testing';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { connected, openSocket } from '../support/client';
import { adminPool } from '../support/db';
import { eventually } from '../support/eventually';
import { fakeProviderKey, FakeProviders, startFakeProviders } from '../support/fake-providers';
import { labelValues, scrape } from '../support/metrics';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { runtimeTestEnv, RuntimeTestEnv } from '../support/runtime-env';
import { spawnWorker, WorkerProcess } from '../support/worker';

const HTTP = 'pantheon_http_request_duration_seconds';

/** Prometheus /metrics of the API and the worker: internal listeners only, real traffic, bounded labels. */
describe('metrics', () => {
  let issuer: OidcIssuerHandle;
  const admin = adminPool();
  const users: TestUser[] = [];

  before(async () => {
    issuer = await startOidcIssuer();
  });
  after(async () => {
    // No queued rows left for a later suite's reconciler to re-drive.
    await admin.query('delete from projects where owner_id = any($1::uuid[])', [users.map((u) => u.id)]);
    await issuer?.stop();
    await admin.end();
  });

  describe('API', () => {
    let fakes: FakeProviders;
    let api: TestApi;
    let url: string;
    let alice: TestUser;
    let projectId: string;
    let projectToken: string;
    let providerKey: string;

    before(async () => {
      fakes = await startFakeProviders();
      api = await startTestApi(issuer, { OPENAI_BASE_URL: fakes.baseUrls.openai, REDIS_PREFIX: `${process.env.REDIS_PREFIX}:metrics-api` });
      url = await api.listen();
      alice = await createUser(api, issuer, 'metrics');
      users.push(alice);
      providerKey = fakeProviderKey('metrics');
      await api.as(alice).post('/api/user/api-keys').send({ name: 'openai', provider: 'openai', key: providerKey }).expect(201);
      projectId = (await createProject(api, alice, { name: 'Metrics' })).id;
      projectToken = (await api.as(alice).post(`/api/projects/${projectId}/tokens`).send({ name: 'metrics' }).expect(201)).body.token;
    });
    after(async () => {
      // Before the worker below starts: its reconciler would re-drive this queued project.
      await admin.query('delete from projects where owner_id = $1', [alice?.id]);
      await api?.close();
      await fakes?.stop();
    });

    const gateway = (model: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${projectToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello metrics' }] }),
      });

    it('is served on the internal listener (loopback here), not on the public port, even with a valid token', async () => {
      const internal = new URL(metricsUrl(api.app));
      assert.equal(internal.hostname, '127.0.0.1');
      assert.notEqual(internal.port, new URL(url).port);
      for (const path of ['/metrics', '/api/metrics', '/v1/metrics']) {
        const anonymous = await fetch(`${url}${path}`);
        assert.equal(anonymous.status, 404, path);
        const signedIn = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${alice.token}` } });
        assert.ok([401, 404].includes(signedIn.status), `${path}: ${signedIn.status}`);
        assert.doesNotMatch(await signedIn.text(), /pantheon_|process_cpu/, path);
      }
      const ok = await scrape(internal.href);
      assert.equal(ok.status, 200);
      assert.match(ok.contentType ?? '', /^text\/plain; version=0\.0\.4/);
      // The listener serves nothing else.
      assert.equal((await fetch(new URL('/api/user/me', internal).href)).status, 404);
      assert.equal((await fetch(internal.href, { method: 'POST' })).status, 405);
    });

    it('times HTTP requests by route template and status, with no raw ids in any label', async () => {
      await api.as(alice).get(`/api/projects/${projectId}`).expect(200);
      await api.as(alice).get(`/api/projects/${randomUUID()}`).expect(404);
      await api.http().get('/api/projects').expect(401);
      const stray = `/api/no-such-route/${randomUUID()}`;
      await api.as(alice).get(stray).expect(404);

      const m = await scrape(metricsUrl(api.app));
      assert.equal(m.sum(`${HTTP}_count`, { method: 'GET', route: '/api/projects/:id', status: '200' }), 1);
      assert.equal(m.sum(`${HTTP}_count`, { method: 'GET', route: '/api/projects/:id', status: '404' }), 1);
      assert.equal(m.sum(`${HTTP}_count`, { method: 'GET', route: '/api/projects', status: '401' }), 1, 'refused by the guard: still counted');
      assert.ok(m.sum(`${HTTP}_count`, { method: 'GET', route: 'unmatched', status: '404' }) >= 1);
      assert.ok(m.sum(`${HTTP}_sum`, { route: '/api/projects/:id' }) > 0);
      const routes = new Set(m.find(`${HTTP}_count`).map((s) => s.labels.route));
      for (const route of routes) assert.doesNotMatch(route!, /[0-9a-f]{8}-[0-9a-f]{4}-/, `a route label holds an id: ${route}`);
      assert.equal(routes.has(stray), false);
    });

    it('counts authenticated socket connections while they are open, and refused handshakes', async () => {
      const gauge = async () => (await scrape(metricsUrl(api.app))).sum('pantheon_socket_connections', { namespace: '/ws' });
      assert.equal(await gauge(), 0);
      const one = await api.as(alice).socket();
      const two = await api.as(alice).socket();
      assert.equal(await gauge(), 2);
      const refused = openSocket(url, { path: api.config.WS_PATH, auth: { token: 'not-a-token' } });
      await assert.rejects(connected(refused));
      refused.close();
      one.disconnect();
      await eventually(async () => ((await gauge()) === 1 ? true : undefined), 5000, 'gauge back to 1');
      two.disconnect();
      await eventually(async () => ((await gauge()) === 0 ? true : undefined), 5000, 'gauge back to 0');
      assert.equal((await scrape(metricsUrl(api.app))).sum('pantheon_socket_handshakes_refused_total', { namespace: '/ws' }), 1);
    });

    it('counts LLM gateway calls by provider and outcome, with upstream latency and the gateway’s own (total − upstream)', async () => {
      for (let i = 0; i < 2; i++) assert.equal((await gateway('openai/fake-echo')).status, 200);
      const m = await scrape(metricsUrl(api.app));
      const ok = { provider: 'openai', source: 'gateway', outcome: 'ok' };
      assert.equal(m.sum('pantheon_llm_calls_total', ok), 2);
      assert.equal(m.sum('pantheon_llm_upstream_duration_seconds_count', ok), 2);
      const upstream = m.sum('pantheon_llm_upstream_duration_seconds_sum', ok);
      const added = { provider: 'openai', route: '/v1/chat/completions' };
      assert.equal(m.sum('pantheon_llm_gateway_added_seconds_count', added), 2);
      const own = m.sum('pantheon_llm_gateway_added_seconds_sum', added);
      const total = m.sum(`${HTTP}_sum`, { method: 'POST', route: '/v1/chat/completions', status: '200' });
      assert.ok(upstream > 0 && own > 0, `upstream ${upstream} s, gateway ${own} s`);
      assert.ok(Math.abs(total - (upstream + own)) < 1e-6, `total ${total} = upstream ${upstream} + gateway ${own}`);
      console.log(`gateway, 2 calls to the loopback fake: total ${(total * 1000).toFixed(1)} ms, upstream ${(upstream * 1000).toFixed(1)} ms, added ${(own * 1000).toFixed(1)} ms`);

      assert.equal((await gateway('openai/fake-500')).status, 502);
      const after = await scrape(metricsUrl(api.app));
      assert.equal(after.sum('pantheon_llm_calls_total', { provider: 'openai', source: 'gateway', outcome: 'error' }), 1);
      assert.equal(after.sum('pantheon_llm_gateway_added_seconds_count', added), 3);
      assert.equal(after.sum(`${HTTP}_count`, { route: '/v1/chat/completions', status: '502' }), 1);
    });

    it('reports the database pool and the process, and no label carries an id or a secret', async () => {
      const m = await scrape(metricsUrl(api.app));
      assert.equal(m.sum('pantheon_db_pool_max_connections', { pool: 'api' }), api.config.DATABASE_POOL_MAX);
      const open = m.sum('pantheon_db_pool_connections', { pool: 'api' });
      assert.ok(open >= 1 && open <= api.config.DATABASE_POOL_MAX, `open ${open}`);
      assert.ok(m.sum('pantheon_db_pool_idle_connections', { pool: 'api' }) <= open);
      assert.equal(m.find('pantheon_db_pool_waiting_requests', { pool: 'api' }).length, 1);
      assert.ok(m.sum('process_cpu_seconds_total') > 0);
      assert.equal(m.find('nodejs_eventloop_lag_seconds').length, 1);
      const labels = labelValues(m.samples).join('\n');
      for (const secret of [alice.id, projectId, projectToken, providerKey, alice.token, alice.username]) {
        assert.equal(labels.includes(secret), false, 'a label holds an id or a secret');
        assert.equal(m.text.includes(secret), false);
      }
    });
  });

  describe('worker', () => {
    let rt: RuntimeTestEnv;
    let api: TestApi;
    let worker: WorkerProcess;
    let bob: TestUser;

    before(async () => {
      rt = await runtimeTestEnv('metrics');
      // An image that is not here on a registry that cannot be reached: the pulling step fails on every attempt.
      // STUCK_AFTER_MS: the reconciler must not re-drive other suites' queued projects here (the counts are exact).
      const env = {
        ...rt.env,
        VM_IMAGE: '127.0.0.1:1/pantheon/no-such-image:missing',
        STUCK_AFTER_MS: String(3600_000),
        REDIS_PREFIX: `${process.env.REDIS_PREFIX}:metrics-worker`,
      };
      api = await startTestApi(issuer, env);
      worker = spawnWorker(env);
      await worker.ready(30_000);
      bob = await createUser(api, issuer, 'metrics-w');
      users.push(bob);
    });
    after(async () => {
      await worker?.stop(10_000);
      await api?.close();
      await rt?.cleanup();
    });

    it('serves provisioning steps, failures by step, job outcomes, queue depth and its pool on its internal port', async () => {
      const listening = worker.logs.entries().find((e) => e.msg === 'metrics listening') as { host?: string; port?: number } | undefined;
      assert.equal(listening?.host, '127.0.0.1');
      const workerMetrics = `http://127.0.0.1:${listening?.port}/metrics`;

      const { id } = await createProject(api, bob, { name: 'Metered failure' });
      await api.as(bob).waitForProject(id, 'failed', { logs: worker.logs });
      const m = await scrape(workerMetrics);
      assert.equal(m.status, 200);

      const step = 'pantheon_provision_step_duration_seconds_count';
      assert.equal(m.sum(step, { step: 'pulling', outcome: 'error' }), 3, 'each of the 3 attempts tries the pull again');
      assert.equal(m.sum(step, { step: 'network' }), 0, 'nothing is built before the images are there');
      assert.equal(m.sum(step, { step: 'tools' }), 0);
      assert.ok(m.sum('pantheon_provision_step_duration_seconds_sum', { step: 'pulling' }) > 0);
      assert.equal(m.sum('pantheon_provision_step_failures_total', { step: 'pulling', code: 'IMAGE_PULL_FAILED' }), 3);

      assert.equal(m.sum('pantheon_jobs_total', { queue: 'provision', outcome: 'retry' }), 2);
      assert.equal(m.sum('pantheon_jobs_total', { queue: 'provision', outcome: 'failed' }), 1);
      assert.ok(m.sum('pantheon_jobs_total', { queue: 'reconcile', outcome: 'completed' }) >= 1);
      assert.equal(m.sum('pantheon_job_duration_seconds_count', { queue: 'provision' }), 3);

      for (const queue of ['provision', 'deprovision', 'reconcile']) {
        for (const state of ['waiting', 'active', 'delayed', 'failed']) {
          assert.equal(m.find('pantheon_queue_jobs', { queue, state }).length, 1, `${queue}/${state}`);
        }
      }
      assert.equal(m.sum('pantheon_queue_jobs', { queue: 'provision', state: 'active' }), 0);
      assert.equal(m.sum('pantheon_queue_jobs', { queue: 'provision', state: 'failed' }), 0, 'the final failure is handled, not thrown');

      assert.ok(m.sum('pantheon_db_pool_max_connections', { pool: 'worker' }) >= 1);
      assert.ok(m.sum('pantheon_db_pool_connections', { pool: 'worker' }) >= 1);
      assert.ok(m.sum('process_resident_memory_bytes') > 0);

      const labels = labelValues(m.samples).join('\n');
      for (const secret of [id, bob.id]) assert.equal(labels.includes(secret), false, 'a label holds an id');
    });
  });
});
