/**
 * `npm run bench:gateway` — the LLM gateway in front of a loopback fake provider vs the fake called
 * directly, with the same client (the official openai SDK) in the same run: added latency (p50/p99) and
 * requests/s, with ratios. Not a test: it prints numbers and asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { createApiKey, createProject, createUser } from '../test/factories';
import { metricsUrl } from '@pantheon/api/testing';
import { startTestApi } from '../test/support/api';
import { fakeProviderKey, startFakeProviders } from '../test/support/fake-providers';
import { startOidcIssuer } from '../test/support/oidc';
import { percentile } from './support/stats';

const N = Number(process.env.BENCH_N ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

async function measure(
  label: string,
  call: () => Promise<unknown>,
  phases: { sequential?: () => Promise<void>; sequentialDone?: () => Promise<void> } = {},
): Promise<{ label: string; p50: number; p99: number; rps: number }> {
  for (let i = 0; i < 20; i++) await call(); // warm-up: JIT, connection pools, caches
  await phases.sequential?.();
  const latencies: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  }
  await phases.sequentialDone?.();
  latencies.sort((a, b) => a - b);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < N) await call();
    }),
  );
  const rps = N / ((performance.now() - started) / 1000);
  return { label, p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps };
}

/** The gateway's own time per request as the API measures it (handler total − upstream): sum and count. */
async function gatewayAddedSeconds(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(url)).text();
  const total = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`pantheon_llm_gateway_added_seconds_${name}{`) || l.startsWith(`pantheon_llm_gateway_added_seconds_${name} `))
      .reduce((acc, l) => acc + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { sum: total('sum'), count: total('count') };
}

async function main(): Promise<void> {
  const issuer = await startOidcIssuer();
  const fakes = await startFakeProviders();
  const api = await startTestApi(issuer, {
    OPENAI_BASE_URL: fakes.baseUrls.openai,
    LOG_LEVEL: 'warn',
    REDIS_PREFIX: `${process.env.REDIS_PREFIX}:bench-gw`,
  });
  try {
    const url = await api.listen();
    const user = await createUser(api, issuer, 'bench');
    const key = fakeProviderKey('bench');
    await createApiKey(api, user, { name: 'bench', provider: 'openai', key });
    const project = await createProject(api, user, { name: 'bench' });
    const token = await api.as(user).post(`/api/projects/${project.id}/tokens`).send({ name: 'bench' }).expect(201);

    const messages = [{ role: 'user' as const, content: 'the quick brown fox jumps over the lazy dog' }];
    const direct = new OpenAI({ apiKey: key, baseURL: fakes.baseUrls.openai, maxRetries: 0 });
    const gateway = new OpenAI({ apiKey: token.body.token, baseURL: `${url}/v1`, maxRetries: 0 });
    const metrics = metricsUrl(api.app);
    const direct1 = await measure('direct (fake provider)', () => direct.chat.completions.create({ model: 'fake-echo', messages }));
    let before = { sum: 0, count: 0 };
    let afterRun = { sum: 0, count: 0 };
    const via = await measure('via gateway', () => gateway.chat.completions.create({ model: 'openai/fake-echo', messages }), {
      sequential: async () => void (before = await gatewayAddedSeconds(metrics)),
      sequentialDone: async () => void (afterRun = await gatewayAddedSeconds(metrics)),
    });
    const results = [direct1, via];
    const [d, g] = results;
    console.log(`gateway benchmark: ${N} sequential requests for latency, ${N} at concurrency ${CONCURRENCY} for throughput`);
    for (const r of results) {
      console.log(`  ${r.label.padEnd(24)} p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   ${r.rps.toFixed(0)} req/s`);
    }
    console.log(
      `  added latency            p50 +${(g.p50 - d.p50).toFixed(2)} ms   p99 +${(g.p99 - d.p99).toFixed(2)} ms   ` +
        `ratio p50 ${(g.p50 / d.p50).toFixed(2)}x   throughput ratio ${(g.rps / d.rps).toFixed(2)}x`,
    );
    const served = afterRun.count - before.count;
    console.log(
      `  gateway's own time        mean ${(((afterRun.sum - before.sum) / Math.max(1, served)) * 1000).toFixed(2)} ms per request ` +
        `(the API's handler total minus upstream, over the ${served} sequential requests)`,
    );
  } finally {
    await api.close();
    await fakes.stop();
    await issuer.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
