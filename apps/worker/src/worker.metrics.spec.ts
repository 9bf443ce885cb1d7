import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { projectJob, WorkerFixture, workerFixture } from './worker.fixture';

// Sums the samples of one metric in Prometheus text whose labels include `labels` (specs only).
function parseMetricsText(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

const P = '3a4b5c6d-7e8f-4a1b-9c2d-3e4f5a6b7c8d';

describe('WorkerMetrics', () => {
  let fx: WorkerFixture;
  beforeEach(async () => {
    fx = await workerFixture();
  });
  afterEach(() => fx.close());

  const value = async (name: string, labels: Record<string, string>) => parseMetricsText(await fx.scrape(), name, labels);

  it('times each provisioning step of a successful build', async () => {
    fx.projects.add({ id: P });
    assert.equal(await fx.provision.process(projectJob(P)), 'running');
    for (const step of ['network', 'share', 'vm', 'tools', 'ready']) {
      assert.equal(await value('pantheon_provision_step_duration_seconds_count', { step, outcome: 'ok' }), 1, step);
    }
    assert.equal(await value('pantheon_provision_step_failures_total', {}), 0);
  });

  it('counts a failed step by step and code, never by project', async () => {
    fx.projects.add({ id: P });
    fx.ready.answers.push({ ok: false, reason: 'HTTP 503' });
    await assert.rejects(fx.provision.process(projectJob(P, { attempt: 1 })), /did not become ready/);
    assert.equal(await value('pantheon_provision_step_failures_total', { step: 'ready', code: 'PROVISION_FAILURE' }), 1);
    assert.equal(await value('pantheon_provision_step_duration_seconds_count', { step: 'ready', outcome: 'error' }), 1);
    assert.equal((await fx.scrape()).includes(P), false);
  });

  it("counts job runs by the handler's result word, retry and failed", async () => {
    const job = (lastAttempt: boolean) => ({ ...projectJob(P), lastAttempt });
    await fx.metrics.timeJob('provision', job(false), async () => 'cancelled');
    await fx.metrics.timeJob('reconcile', job(false), async () => ({ removed: [P] }));
    await fx.metrics.timeJob('provision', job(false), async () => `not a word: ${P}`);
    await assert.rejects(fx.metrics.timeJob('provision', job(false), async () => Promise.reject(new Error('x'))));
    await assert.rejects(fx.metrics.timeJob('provision', job(true), async () => Promise.reject(new Error('x'))));
    assert.equal(await value('pantheon_jobs_total', { queue: 'provision', outcome: 'cancelled' }), 1);
    assert.equal(await value('pantheon_jobs_total', { queue: 'reconcile', outcome: 'completed' }), 1);
    assert.equal(await value('pantheon_jobs_total', { queue: 'provision', outcome: 'completed' }), 1);
    assert.equal(await value('pantheon_jobs_total', { queue: 'provision', outcome: 'retry' }), 1);
    assert.equal(await value('pantheon_jobs_total', { queue: 'provision', outcome: 'failed' }), 1);
    assert.equal(await value('pantheon_job_duration_seconds_count', { queue: 'provision' }), 4);
    assert.equal((await fx.scrape()).includes(P), false);
  });
});
