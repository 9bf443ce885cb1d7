/**
 * `npm run bench:provision` — time from POST /api/projects to `running` through the real API and worker
 * (stand-in images), against the raw docker CLI doing the same work in the same run: network with gateway
 * .254, share at .20 with the bind mount, VM at .2, tools API at .1 joined to a second network, then its
 * /health polled until it answers 200. Prints p50/p95 of both and their ratio. Not a test: it asserts nothing.
 *
 *   BENCH_N       measured runs of each (default 5)
 *   BENCH_WARMUP  unmeasured runs of each first (default 1: page cache, image layers, JIT)
 *
 * Runs alternate (platform, CLI, platform, …) so a change in machine load affects both alike. Both poll the
 * tools API every 500 ms (the worker's interval), so the ratio is the platform's overhead, not poll timing.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { ProjectEvent } from '@pantheon/events';
import { LABEL_KEYS, MANAGED_LABEL_VALUE } from '@pantheon/runtime';
import { createProject, createUser } from '../test/factories';
import { startTestApi, TestApi } from '../test/support/api';
import { subscribe } from '../test/support/client';
import { adminPool } from '../test/support/db';
import { eventually } from '../test/support/eventually';
import { startOidcIssuer } from '../test/support/oidc';
import { runtimeTestEnv } from '../test/support/runtime-env';
import { spawnWorker, WorkerProcess } from '../test/support/worker';
import { percentile, positiveInt } from './support/stats';

const N = positiveInt('BENCH_N', 5);
const WARMUP = positiveInt('BENCH_WARMUP', 1, 0);
const RUN_TIMEOUT_MS = 60_000;
const HEALTH_POLL_MS = 500;
const TOOLS_PORT = 8090;
const STOP_TIMEOUT_MS = 15_000;

const run = promisify(execFile);

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 30_000 });
  return stdout.trim();
}

/** Polls the tools API's /health as the worker does: 200 with status ok. */
async function waitHealthy(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (res.status === 200 && ((await res.json()) as { status?: string }).status === 'ok') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
  throw new Error(`${url} not healthy in time`);
}

async function main(): Promise<void> {
  const issuer = await startOidcIssuer();
  const rt = await runtimeTestEnv('bench-provision');
  // Production's log level for both processes (the worker's readiness line is an info line).
  const env: Record<string, string> = { ...rt.env, REDIS_PREFIX: `${process.env.REDIS_PREFIX}:bench-prov`, PROJECTS_MAX_PER_USER: '10', LOG_LEVEL: 'info' };
  const admin = adminPool();
  const engine = new Docker();
  let api: TestApi | undefined;
  let worker: WorkerProcess | undefined;
  const cliLabels = [
    `${LABEL_KEYS.managed}=${MANAGED_LABEL_VALUE}`,
    `${LABEL_KEYS.testRun}=${rt.label}`,
    // No pantheon.project label: the worker's reconciler would remove these as orphans mid-run.
    `${LABEL_KEYS.role}=bench-cli`,
  ].flatMap((l) => ['--label', l]);

  try {
    api = await startTestApi(issuer, env);
    worker = spawnWorker(env);
    await worker.ready(20_000);
    const user = await createUser(api, issuer, 'bench');
    const client = api.as(user);

    const s = await client.socket();
    const ack = await subscribe(s, { channel: 'project-updates' });
    if (!ack.ok) throw new Error('subscribe refused');
    // Arrival time of each (project, status) event, taken on receipt so the wait's polling adds nothing.
    const arrivals = new Map<string, number>();
    s.on('project:update', (e: ProjectEvent) => {
      const key = `${e.projectId}:${e.status}`;
      if (!arrivals.has(key)) arrivals.set(key, performance.now());
    });
    const arrival = async (id: string, status: string): Promise<number> => {
      const at = await eventually(
        async () => arrivals.get(`${id}:${status}`) ?? (arrivals.has(`${id}:failed`) ? -1 : undefined),
        RUN_TIMEOUT_MS,
        `${status} event of ${id}`,
        20,
      );
      if (at < 0) throw new Error(`project ${id} failed to provision`);
      return at;
    };

    let seq = 0;
    /** One platform run: POST → `running` event (timed), then DELETE → `deleted` (not timed). */
    const platform = async (): Promise<number> => {
      const name = `bench-${++seq}`;
      const t0 = performance.now();
      const { id } = await createProject(api!, user, { name });
      const elapsed = (await arrival(id, 'running')) - t0;
      await client.delete(`/api/projects/${id}?confirm=${name}`).expect(202);
      await arrival(id, 'deleted');
      return elapsed;
    };

    /** A /24 in 172.30.x unused by Docker and by the database's leases (searched from the top down). */
    const freeIndex = async (): Promise<number> => {
      const used = new Set<string>();
      for (const n of await engine.listNetworks()) for (const c of n.IPAM?.Config ?? []) if (c.Subnet) used.add(c.Subnet);
      const { rows } = await admin.query<{ subnet_index: number }>('select subnet_index from subnet_leases');
      const leased = new Set(rows.map((r) => r.subnet_index));
      for (let i = 254; i >= 1; i--) if (!leased.has(i) && !used.has(`172.30.${i}.0/24`)) return i;
      throw new Error('no free 172.30.x.0/24');
    };

    /** One raw docker CLI run of the same work (timed), then its removal (not timed). */
    const cli = async (): Promise<number> => {
      const k = `${rt.label}-${++seq}`.slice(-40);
      const base = `172.30.${await freeIndex()}`;
      const net = `pantheon-bench-net-${k}`;
      const names = { share: `pantheon-bench-share-${k}`, vm: `pantheon-bench-vm-${k}`, tools: `pantheon-bench-tools-${k}` };
      const shareDir = join(rt.shareRoot, `cli-${k}`);
      const deadline = Date.now() + RUN_TIMEOUT_MS;
      const t0 = performance.now();
      try {
        await docker('network', 'create', '--driver', 'bridge', '--subnet', `${base}.0/24`, '--gateway', `${base}.254`, ...cliLabels, net);
        await mkdir(shareDir, { recursive: true });
        await writeFile(join(shareDir, 'README.txt'), 'shared folder\n');
        await docker('run', '-d', '--name', names.share, '--network', net, '--ip', `${base}.20`, '--restart', 'unless-stopped', ...cliLabels,
          '--mount', `type=bind,source=${shareDir},target=/shared,readonly`, '-e', 'SHARE_ROOT=/shared', '-e', 'SHARE_PORT=8080', env.SHARE_IMAGE);
        await docker('run', '-d', '--name', names.vm, '--network', net, '--ip', `${base}.2`, '--restart', 'unless-stopped', ...cliLabels,
          '--cap-add', 'NET_ADMIN', '--mount', `type=bind,source=${env.OEM_DIR},target=/oem,readonly`,
          '--mount', `type=bind,source=${shareDir},target=/shared`,
          '-e', 'VERSION=11', '-e', 'RAM_SIZE=4G', '-e', 'CPU_CORES=2', '-e', 'DISK_SIZE=64G', env.VM_IMAGE);
        // As the runtime does: joined to the second network before the start, so it boots with both interfaces.
        // Its credentials as files in a read-only mount, as the runtime gives them (the tools API refuses env).
        const secrets = join(shareDir, '.secrets');
        await mkdir(secrets, { recursive: true });
        for (const file of ['project-token', 'api-credential', 'guest-agent-token']) {
          await writeFile(join(secrets, file), `bench-${file}-${randomUUID()}`, { mode: 0o444 });
        }
        await docker('create', '--name', names.tools, '--network', net, '--ip', `${base}.1`, '--restart', 'unless-stopped', ...cliLabels,
          '--mount', `type=bind,source=${secrets},target=/run/pantheon,readonly`,
          '-e', `PROJECT_ID=${randomUUID()}`, '-e', `VM_HOST=${base}.2`, '-e', 'VM_VIEWER_PORT=8006', '-e', `PORT=${TOOLS_PORT}`,
          '-e', 'PANTHEON_PROJECT_TOKEN_FILE=/run/pantheon/project-token', '-e', 'PANTHEON_API_CREDENTIAL_FILE=/run/pantheon/api-credential',
          '-e', 'GUEST_AGENT_TOKEN_FILE=/run/pantheon/guest-agent-token', env.TOOLS_IMAGE);
        await docker('network', 'connect', env.TOOLS_NETWORK, names.tools);
        await docker('start', names.tools);
        await waitHealthy(`http://${base}.1:${TOOLS_PORT}/health`, deadline);
        return performance.now() - t0;
      } finally {
        await docker('rm', '-f', '-v', ...Object.values(names)).catch(() => undefined);
        await docker('network', 'rm', net).catch(() => undefined);
        await rm(shareDir, { recursive: true, force: true });
      }
    };

    // The first platform run creates the tools network the CLI's tools container joins as well.
    for (let i = 0; i < WARMUP; i++) {
      await platform();
      await cli();
    }
    const samples = { platform: [] as number[], cli: [] as number[] };
    for (let i = 0; i < N; i++) {
      samples.platform.push(await platform());
      samples.cli.push(await cli());
    }
    const p = samples.platform.sort((a, b) => a - b);
    const c = samples.cli.sort((a, b) => a - b);
    console.log(
      `platform p50 ${seconds(percentile(p, 50))} p95 ${seconds(percentile(p, 95))} | ` +
        `docker-cli p50 ${seconds(percentile(c, 50))} p95 ${seconds(percentile(c, 95))} | ` +
        `ratio p50 ${(percentile(p, 50) / percentile(c, 50)).toFixed(2)}x p95 ${(percentile(p, 95) / percentile(c, 95)).toFixed(2)}x ` +
        `(n=${N}, warm-up ${WARMUP})`,
    );
  } finally {
    await worker?.stop(STOP_TIMEOUT_MS);
    // Also disconnects the socket.
    await api?.close();
    // Every container and network above carries the run's label; share folders live under rt's base dir.
    await rt.cleanup();
    await admin.end();
    await issuer.stop();
  }
}

main().catch((err: Error) => {
  console.error(`bench:provision failed: ${err.message}`);
  process.exitCode = 1;
});
