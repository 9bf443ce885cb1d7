/**
 * `npm run bench:api` — what authentication and row-level security cost per request. The API runs as its own
 * process(es), the way `./deploy.sh dev` runs it, and autocannon drives it over loopback (20 connections by
 * default, rate limits raised). Side by side in one run:
 *   - `GET /health` (no auth, no database) — the framework's floor;
 *   - `GET /api/projects` authenticated (Keycloak token, user lookup) and RLS-scoped — what users get;
 *   - the same handler and query with auth and RLS switched off (bench/support/api-open.ts) — the baseline;
 *   - `GET /api/user/me`, and a bad token (401).
 * Prints req/s and p50/p99 latency of each and the ratio secure / open. Not a test: it asserts nothing.
 */
import autocannon from 'autocannon';
import os from 'node:os';
import { createProject, createUser } from '../test/factories';
import { startTestApi } from '../test/support/api';
import { startOidcIssuer } from '../test/support/oidc';
import { ApiProcess, spawnApi } from '../test/support/api-process';
import { cpuSeconds } from './support/proc';
import { median } from './support/stats';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const WORKERS = process.env.BENCH_API_WORKERS ?? process.env.API_WORKERS ?? '';
// Rounds alternate between the cases, and each figure is the median of its rounds, so that a change in machine
// load during the run touches every case alike.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
interface Figure {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  /** API CPU milliseconds per request (all its processes): robust against other load on the machine. */
  cpuMs: number;
  non2xx: number;
  errors: number;
}

interface Case {
  label: string;
  url: string;
  pid: number;
  headers: Record<string, string>;
  expectStatus?: number;
}

// BENCH_API_ONLY=projects runs only the cases whose label contains it (e.g. to profile one of them).
const ONLY = process.env.BENCH_API_ONLY ?? '';

function run(c: Case, duration: number): Promise<autocannon.Result> {
  return autocannon({ url: c.url, connections: CONNECTIONS, duration, headers: c.headers }) as Promise<autocannon.Result>;
}

async function measure(cases: Case[]): Promise<Figure[]> {
  const chosen = cases.filter((c) => !ONLY || c.label.includes(ONLY));
  for (const c of chosen) await run(c, 2); // warm-up: JIT, pools, caches
  const rounds = new Map<Case, Figure[]>(chosen.map((c) => [c, []]));
  for (let i = 0; i < ROUNDS; i++) {
    for (const c of chosen) {
      const cpu0 = cpuSeconds(c.pid);
      const r = await run(c, DURATION_S);
      const cpu = cpuSeconds(c.pid) - cpu0;
      const matching = (c.expectStatus ?? 200) === 200 ? r['2xx'] : r['4xx'];
      rounds.get(c)!.push({
        label: c.label,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        cpuMs: (cpu * 1000) / Math.max(1, r.requests.total),
        non2xx: r.requests.total - matching,
        errors: r.errors + r.timeouts,
      });
    }
  }
  return chosen.map((c) => {
    const fs = rounds.get(c)!;
    return {
      label: c.label,
      rps: median(fs.map((f) => f.rps)),
      p50: median(fs.map((f) => f.p50)),
      p99: median(fs.map((f) => f.p99)),
      cpuMs: median(fs.map((f) => f.cpuMs)),
      non2xx: fs.reduce((n, f) => n + f.non2xx, 0),
      errors: fs.reduce((n, f) => n + f.errors, 0),
    };
  });
}

async function main(): Promise<void> {
  const issuer = await startOidcIssuer();
  const env: Record<string, string> = {
    KEYCLOAK_URL: issuer.authServerUrl,
    KEYCLOAK_REALM: issuer.realm,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    RATE_LIMIT_MAX: '100000000',
    AUTH_FAILURE_LIMIT: '100000',
    WS_HANDSHAKE_LIMIT: '100000',
    REDIS_PREFIX: `${process.env.REDIS_PREFIX}:bench-api`,
    ...(WORKERS ? { API_WORKERS: WORKERS } : {}),
  };
  // Data through the real API: a user with a page of projects.
  const setup = await startTestApi(issuer, { REDIS_PREFIX: env.REDIS_PREFIX, LOG_LEVEL: 'warn' });
  const user = await createUser(setup, issuer, 'bench');
  for (let i = 0; i < 5; i++) await createProject(setup, user, { name: `bench-${i}` });
  const me = (await setup.as(user).get('/api/user/me').expect(200)).body as { id: string; email: string | null; name: string | null };
  await setup.close();

  const dbName = new URL(process.env.DATABASE_URL ?? '').pathname.slice(1);
  const superuserUrl = new URL(process.env.PANTHEON_TEST_PG_ADMIN_URL ?? '');
  superuserUrl.pathname = `/${dbName}`;
  const procs: ApiProcess[] = [];
  try {
    const secure = await spawnApi('dist/apps/api/src/main.js', env);
    procs.push(secure);
    const open = await spawnApi('dist/bench/support/api-open.js', {
      ...env,
      BENCH_SUPERUSER_URL: superuserUrl.toString(),
      BENCH_USER_JSON: JSON.stringify({ id: me.id, sub: 'bench', email: me.email, name: me.name, pictureUrl: null, roles: [], sessionId: null }),
    });
    procs.push(open);
    const auth = { authorization: `Bearer ${user.token}` };
    const figures = await measure([
      { label: 'GET /health', url: `${secure.url}/health`, pid: secure.pid, headers: {} },
      { label: 'GET /api/projects, auth + RLS off', url: `${open.url}/api/projects`, pid: open.pid, headers: {} },
      { label: 'GET /api/projects, auth + RLS', url: `${secure.url}/api/projects`, pid: secure.pid, headers: auth },
      { label: 'GET /api/user/me', url: `${secure.url}/api/user/me`, pid: secure.pid, headers: auth },
      { label: 'bad token (401)', url: `${secure.url}/api/projects`, pid: secure.pid, headers: { authorization: 'Bearer not.a.token' }, expectStatus: 401 },
    ]);
    const find = (label: string) => figures.find((f) => f.label === label);
    const off = find('GET /api/projects, auth + RLS off');
    const on = find('GET /api/projects, auth + RLS');
    console.log(
      `api benchmark: autocannon, ${CONNECTIONS} connections, median of ${ROUNDS} alternating rounds of ${DURATION_S} s after a 2 s warm-up; ` +
        `API_WORKERS=${WORKERS || '1 (default)'}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`,
    );
    for (const f of figures) {
      const bad = f.non2xx + f.errors > 0 ? `   (${f.non2xx} unexpected status, ${f.errors} errors)` : '';
      console.log(
        `  ${f.label.padEnd(34)} ${f.rps.toFixed(0).padStart(6)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   ` +
          `API CPU ${f.cpuMs.toFixed(2)} ms/req${bad}`,
      );
    }
    if (on && off) {
      console.log(
        `  ratio auth+RLS / off: ${(on.rps / off.rps).toFixed(2)}x throughput, ${(off.cpuMs / on.cpuMs).toFixed(2)}x by API CPU per request ` +
          `(goal >= 0.6x, and >= 1000 req/s)`,
      );
    }
  } finally {
    for (const p of procs) await p.stop();
    await issuer.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
