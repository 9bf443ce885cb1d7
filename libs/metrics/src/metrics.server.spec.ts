import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MetricsRegistry } from './metrics.registry';
import { MetricsServer } from './metrics.server';

describe('MetricsServer', () => {
  const registry = new MetricsRegistry({ processMetrics: false });
  const server = new MetricsServer(registry);
  let base: string;
  let reads = 0;
  const jobs = registry.counter('spec_jobs_total', 'jobs', ['outcome']);
  registry.gauge('spec_depth', 'read at scrape time', ['queue'], (g) => void g.set({ queue: 'q' }, ++reads));

  before(async () => {
    const { host, port } = await server.listen(0, '127.0.0.1');
    base = `http://${host}:${port}`;
  });
  after(() => server.close());

  it('serves the registry at GET /metrics, reading scrape-time gauges on each scrape', async () => {
    jobs.inc({ outcome: 'ok' });
    const first = await fetch(`${base}/metrics`);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await first.text();
    assert.match(text, /^spec_jobs_total\{outcome="ok"\} 1$/m);
    assert.match(text, /^spec_depth\{queue="q"\} 1$/m);
    assert.match(await (await fetch(`${base}/metrics?x=1`)).text(), /^spec_depth\{queue="q"\} 2$/m);
  });

  it('serves nothing else', async () => {
    for (const path of ['/', '/metrics/', '/api/metrics', '/health']) assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status, 405);
  });

  it('fails to listen with a message naming the address', async () => {
    const port = Number(new URL(base).port);
    await assert.rejects(new MetricsServer(registry).listen(port, '127.0.0.1'), /metrics endpoint cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
  });
});
