/**
 * `npm run bench:gateway` — the LLM gateway in front of a loopback fake provider vs the fake called
 * directly, with the same client (the official openai SDK) in the same run: added latency (p50/p99) and
 * requests/s, with ratios. The API runs as its own process from the production entry point (as deployed, so
 * the client's CPU is not charged to the gateway), and its CPU per request is read from /proc.
 * Not a test: it prints numbers and asserts nothing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { createApiKey, createProject, createUser } from '../test/factories';
import { startTestApi } from '../test/support/api';
import { spawnApi } from '../test/support/api-process';
import { freePort } from '../test/support/ports';
import { fakeProviderKey, FakeProviders, startFakeProviders } from '../test/support/fake-providers';
import { OidcIssuerHandle, startOidcIssuer } from '../test/support/oidc';
import { cpuSeconds } from './support/proc';
import { percentile } from './support/stats';

const N = Number(process.env.BENCH_N ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WORKERS = process.env.BENCH_API_WORKERS ?? '';

interface Figure {
  label: string;
  p50: number;
  p99: number;
  rps: number;
  /** CPU milliseconds per request of the given process over the whole measurement (sequential + concurrent). */
  cpuMs?: number;
}

async function measure(
  label: string,
  call: () => Promise<unknown>,
  phases: { sequential?: () => Promise<void>; sequentialDone?: () => Promise<void>; cpuPid?: number } = {},
): Promise<Figure> {
  for (let i = 0; i < 20; i++) await call(); // warm-up: JIT, connection pools, caches
  await phases.sequential?.();
  const cpu0 = phases.cpuPid ? cpuSeconds(phases.cpuPid) : 0;
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
  const cpuMs = phases.cpuPid ? ((cpuSeconds(phases.cpuPid) - cpu0) * 1000) / (2 * N) : undefined;
  return { label, p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps, cpuMs };
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

/** bench/support/bare-proxy.ts as its own process in front of `upstream`; resolves with its URL and pid. */
async function startBareProxy(upstream: string): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ['dist/bench/support/bare-proxy.js'], {
    env: { ...process.env, BARE_PROXY_UPSTREAM: upstream },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${line.toString().trim()}`, pid: child.pid ?? 0, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const issuer = await startOidcIssuer();
  const fakes = await startFakeProviders();
  const env: Record<string, string> = {
    KEYCLOAK_URL: issuer.authServerUrl,
    KEYCLOAK_REALM: issuer.realm,
    OPENAI_BASE_URL: fakes.baseUrls.openai,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    RATE_LIMIT_MAX: '100000000',
    REDIS_PREFIX: `${process.env.REDIS_PREFIX}:bench-gw`,
    ...(WORKERS ? { API_WORKERS: WORKERS } : {}),
  };
  try {
    await run(issuer, fakes, env);
  } finally {
    await fakes.stop();
    await issuer.stop();
  }
}

async function run(issuer: OidcIssuerHandle, fakes: FakeProviders, env: Record<string, string>): Promise<void> {
  // Data through the real API: a user, the user's OpenAI key, a project and its token.
  const setup = await startTestApi(issuer, { ...env, LOG_LEVEL: 'warn' });
  const user = await createUser(setup, issuer, 'bench');
  const key = fakeProviderKey('bench');
  await createApiKey(setup, user, { name: 'bench', provider: 'openai', key });
  const project = await createProject(setup, user, { name: 'bench' });
  const token = (await setup.as(user).post(`/api/projects/${project.id}/tokens`).send({ name: 'bench' }).expect(201)).body.token as string;
  await setup.close();

  const metricsPort = await freePort();
  const api = await spawnApi('dist/apps/api/src/main.js', { ...env, METRICS_PORT: String(metricsPort) });
  let bare: Awaited<ReturnType<typeof startBareProxy>> | undefined;
  try {
    bare = await startBareProxy(fakes.baseUrls.openai);
    const metrics = `http://127.0.0.1:${metricsPort}/metrics`;
    const messages = [{ role: 'user' as const, content: 'the quick brown fox jumps over the lazy dog' }];
    const direct = new OpenAI({ apiKey: key, baseURL: fakes.baseUrls.openai, maxRetries: 0 });
    const gateway = new OpenAI({ apiKey: token, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const viaBare = new OpenAI({ apiKey: key, baseURL: `${bare.url}/v1`, maxRetries: 0 });
    const direct1 = await measure('direct (fake provider)', () => direct.chat.completions.create({ model: 'fake-echo', messages }));
    const floor = await measure('bare Node proxy', () => viaBare.chat.completions.create({ model: 'fake-echo', messages }), { cpuPid: bare.pid });
    let before = { sum: 0, count: 0 };
    let afterRun = { sum: 0, count: 0 };
    const via = await measure('via gateway', () => gateway.chat.completions.create({ model: 'openai/fake-echo', messages }), {
      sequential: async () => void (before = await gatewayAddedSeconds(metrics)),
      sequentialDone: async () => void (afterRun = await gatewayAddedSeconds(metrics)),
      cpuPid: api.pid,
    });
    const [d, g] = [direct1, via];
    console.log(
      `gateway benchmark: ${N} sequential requests for latency, ${N} at concurrency ${CONCURRENCY} for throughput; ` +
        `API_WORKERS=${WORKERS || '1 (default)'}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`,
    );
    for (const r of [d, floor, g]) {
      const cpu = r.cpuMs === undefined ? '' : `   API CPU ${r.cpuMs.toFixed(2)} ms/req`;
      console.log(`  ${r.label.padEnd(24)} p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   ${r.rps.toFixed(0)} req/s${cpu}`);
    }
    console.log(
      `  added latency            p50 +${(g.p50 - d.p50).toFixed(2)} ms   p99 +${(g.p99 - d.p99).toFixed(2)} ms   ` +
        `ratio p50 ${(g.p50 / d.p50).toFixed(2)}x   throughput ratio ${(g.rps / d.rps).toFixed(2)}x ` +
        `(goal: p50 < +2 ms, p99 < +10 ms, throughput >= 0.7x)`,
    );
    console.log(
      `  bare proxy's added       p50 +${(floor.p50 - d.p50).toFixed(2)} ms   p99 +${(floor.p99 - d.p99).toFixed(2)} ms   ` +
        `throughput ratio ${(floor.rps / d.rps).toFixed(2)}x (the floor of any proxy process on this machine)`,
    );
    const served = afterRun.count - before.count;
    console.log(
      `  gateway's own time        mean ${(((afterRun.sum - before.sum) / Math.max(1, served)) * 1000).toFixed(2)} ms per request ` +
        `(the API's handler total minus upstream, over the ${served} sequential requests)`,
    );
  } finally {
    bare?.stop();
    await api.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
