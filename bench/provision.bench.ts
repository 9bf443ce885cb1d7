/**
 * `npm run bench:provision` — time from POST /api/projects to `running` through the real API and worker
 * (stand-in images), against the raw docker CLI doing the same work in the same run: network with gateway
 * .254, the shared folder and share server at .20, the project's /oem (guest agent + its token) and the VM at
 * .2, the tools API's credential files and the tools API at .1 joined to the tools network, then its /health
 * polled (with the credential) until it answers 200. The CLI's containers get the runtime's settings (caps,
 * limits, security options, mounts, env; see bench/README.md). Prints p50/p95 of both and their ratio. Not a
 * test: it asserts nothing.
 *
 *   BENCH_N       measured runs of each (default 5)
 *   BENCH_WARMUP  unmeasured runs of each first (default 1: page cache, image layers, JIT); the warm-up also
 *                 compares the CLI's containers with the platform's (docker inspect) and names any difference
 *   BENCH_STEPS   1: also print, per run, when each step ended (platform: its events; CLI: its commands)
 *
 * Runs alternate (platform, CLI, platform, …) so a change in machine load affects both alike. Both poll the
 * tools API every 500 ms (the worker's interval), so the ratio is the platform's overhead, not poll timing.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, chown, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { loadConfigSlice } from '@pantheon/config';
import type { ProjectEvent } from '@pantheon/events';
import { containerName, LABEL_KEYS, MANAGED_LABEL_VALUE, networkName, type ContainerRole } from '@pantheon/runtime';
import { writeOemBundle } from '@pantheon/worker/testing';
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
const STEPS = process.env.BENCH_STEPS === '1';
const RUN_TIMEOUT_MS = 60_000;
const HEALTH_POLL_MS = 500;
const TOOLS_PORT = 8090;
const STOP_TIMEOUT_MS = 15_000;
/** The runtime's scratch for read-only roots (apps/worker/src/provisioning/project-plan.ts). */
const SCRATCH_TMPFS = '/tmp:rw,noexec,nosuid,nodev,size=16m';
/** Where the tools API sees its credential files, and their names (apps/worker/src/provisioning/tools-secrets.ts). */
const TOOLS_SECRETS_MOUNT = '/run/pantheon';
const TOOLS_SECRET_FILES = { projectToken: 'project-token', apiCredential: 'api-credential', guestAgentToken: 'guest-agent-token' } as const;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

const run = promisify(execFile);

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 30_000 });
  return stdout.trim();
}

/** Polls the tools API's /health as the worker does: with the credential, 200 with status ok. */
async function waitHealthy(url: string, credential: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${credential}` }, signal: AbortSignal.timeout(3000) });
      if (res.status === 200 && ((await res.json()) as { status?: string }).status === 'ok') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
  throw new Error(`${url} not healthy in time`);
}

/**
 * A credential file as the worker writes one (writeToolsSecret): a fresh 0400 file, synced, owned by the tools
 * process's uid when we are root, in a 0700 folder of its own.
 */
async function writeSecretFile(dir: string, name: string, value: string, uid: number): Promise<void> {
  const handle = await open(join(dir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o400);
  try {
    await handle.writeFile(value, 'utf8');
    if (process.getuid?.() === 0 && uid !== 0) await handle.chown(uid, uid);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

type Shape = Record<string, unknown>;

/**
 * What must match between the platform's containers and the CLI's: image, user, env (values with the project's
 * id and subnet masked), mounts, capabilities, limits, security options, tmpfs, restart policy, devices and
 * addresses. Names and labels differ on purpose.
 */
async function containerShape(engine: Docker, name: string): Promise<Shape> {
  const info = await engine.getContainer(name).inspect();
  const host = info.HostConfig as Docker.HostConfig & { Mounts?: { Type?: string; Target?: string; ReadOnly?: boolean }[] };
  const cap = (c: string) => c.toUpperCase().replace(/^CAP_/, '');
  const mask = (v: string) => v.replace(UUID, '<id>').replace(/172\.30\.\d+\./g, '172.30.x.');
  const env = Object.fromEntries((info.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), mask(e.slice(e.indexOf('=') + 1))]));
  // Static addresses only: a dynamic one (the tools network's) differs from container to container.
  const networks = Object.values(info.NetworkSettings.Networks ?? {}).map((n) => mask(n.IPAMConfig?.IPv4Address ?? '') || 'dynamic');
  return {
    image: info.Config.Image,
    user: info.Config.User,
    env,
    mounts: (host.Mounts ?? []).map((m) => `${m.Type}:${m.Target}:${m.ReadOnly ? 'ro' : 'rw'}`).sort(),
    // The docker CLI sends capabilities as CAP_NET_ADMIN, the runtime as NET_ADMIN: the same capability.
    capAdd: (host.CapAdd ?? []).map(cap).sort(),
    capDrop: (host.CapDrop ?? []).map(cap).sort(),
    memory: host.Memory,
    memorySwap: host.MemorySwap,
    nanoCpus: host.NanoCpus,
    pidsLimit: host.PidsLimit,
    securityOpt: host.SecurityOpt ?? [],
    readonlyRootfs: host.ReadonlyRootfs,
    tmpfs: host.Tmpfs ?? {},
    restartPolicy: host.RestartPolicy,
    devices: host.Devices ?? [],
    privileged: host.Privileged,
    networks: networks.sort(),
  };
}

async function networkShape(engine: Docker, name: string): Promise<Shape> {
  const info = await engine.getNetwork(name).inspect();
  const ipam = info.IPAM?.Config?.[0];
  return {
    driver: info.Driver,
    internal: info.Internal,
    options: info.Options ?? {},
    subnet: ipam?.Subnet?.replace(/172\.30\.\d+\./, '172.30.x.'),
    gateway: ipam?.Gateway?.replace(/172\.30\.\d+\./, '172.30.x.'),
  };
}

/** Names (never values) of the fields where `cli` differs from `platform`; env is compared per variable. */
function differences(what: string, platform: Shape, cli: Shape): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(platform), ...Object.keys(cli)])) {
    if (key === 'env') {
      const p = platform.env as Record<string, string>;
      const c = cli.env as Record<string, string>;
      for (const name of new Set([...Object.keys(p), ...Object.keys(c)])) if (p[name] !== c[name]) out.push(`${what} env ${name}`);
    } else if (JSON.stringify(platform[key]) !== JSON.stringify(cli[key])) {
      out.push(`${what} ${key}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const issuer = await startOidcIssuer();
  const rt = await runtimeTestEnv('bench-provision');
  // Production's log level for both processes (the worker's readiness line is an info line).
  const env: Record<string, string> = { ...rt.env, REDIS_PREFIX: `${process.env.REDIS_PREFIX}:bench-prov`, PROJECTS_MAX_PER_USER: '10', LOG_LEVEL: 'info' };
  // The settings the worker builds its containers from (its defaults included), for the CLI's flags.
  const cfg = loadConfigSlice(
    [
      'VM_DEFAULT_RAM_GB', 'VM_DEFAULT_CPU_CORES', 'VM_DEFAULT_DISK_GB', 'VM_DEVICES', 'VM_CAP_ADD', 'VM_MEMORY_OVERHEAD_MB', 'VM_PIDS_LIMIT',
      'TOOLS_MEMORY_MB', 'TOOLS_CPU_MILLICORES', 'TOOLS_PIDS_LIMIT', 'SHARE_MEMORY_MB', 'SHARE_CPU_MILLICORES', 'SHARE_PIDS_LIMIT',
      'TOOLS_UID', 'TOOLS_CREDENTIALS_ROOT', 'OEM_DIR', 'GATEWAY_URL_FOR_PROJECTS', 'GUEST_AGENT_WINDOWS_NODE', 'GUEST_AGENT_DIST_DIR',
    ],
    { ...process.env, ...env },
  );
  const admin = adminPool();
  const engine = new Docker();
  // The runtime caps a CPU quota at the engine's CPU count (DockerRuntime.withinEngineCpus); so does the CLI.
  const engineCpus = ((await engine.info()) as { NCPU?: number }).NCPU ?? Infinity;
  const cpus = (nanoCpus: number) => String(Math.min(nanoCpus / 1e9, engineCpus));
  let api: TestApi | undefined;
  let worker: WorkerProcess | undefined;
  const cliLabels = [
    `${LABEL_KEYS.managed}=${MANAGED_LABEL_VALUE}`,
    `${LABEL_KEYS.testRun}=${rt.label}`,
    // No pantheon.project label: the worker's reconciler would remove these as orphans mid-run.
    `${LABEL_KEYS.role}=bench-cli`,
  ].flatMap((l) => ['--label', l]);
  /** The runtime's limits and hardening for a container (ProjectPlan: lockedDown() for share/tools, vm()). */
  const limits = (memoryMb: number, nanoCpus: number, pidsLimit: number) => [
    '--memory', `${memoryMb}m`, '--memory-swap', `${memoryMb}m`, '--cpus', cpus(nanoCpus), '--pids-limit', String(pidsLimit),
    '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true',
  ];
  const lockedDown = (memoryMb: number, millicores: number, pidsLimit: number) => [
    ...limits(memoryMb, millicores * 1_000_000, pidsLimit), '--read-only', '--tmpfs', SCRATCH_TMPFS,
  ];
  const vmCaps = cfg.VM_CAP_ADD === 'none' ? [] : cfg.VM_CAP_ADD.split(',');
  const vmDevices = cfg.VM_DEVICES === 'none' ? [] : cfg.VM_DEVICES.split(',');
  // The compiled guest agent of this build (dist/), as the worker's defaultAgentDistDir().
  const agentDistDir = cfg.GUEST_AGENT_DIST_DIR ?? resolve(__dirname, '..');
  /** Warm-up only: the platform's containers and network, to check the CLI's against. */
  let platformShapes: Record<string, Shape> | null = null;

  try {
    api = await startTestApi(issuer, env);
    worker = spawnWorker(env);
    await worker.ready(20_000);
    const user = await createUser(api, issuer, 'bench');
    const client = api.as(user);

    const s = await client.socket();
    const ack = await subscribe(s, { channel: 'project-updates' });
    if (!ack.ok) throw new Error('subscribe refused');
    // Arrival time of each (project, status) and (project, step) event, taken on receipt so the wait's polling adds nothing.
    const arrivals = new Map<string, number>();
    s.on('project:update', (e: ProjectEvent) => {
      const now = performance.now();
      for (const key of [`${e.projectId}:${e.status}`, `${e.projectId}:step:${e.step}`]) if (!arrivals.has(key)) arrivals.set(key, now);
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
    const report = (who: string, t0: number, marks: [string, number][]) => {
      if (STEPS) console.error(`${who}: ${marks.map(([step, at]) => `${step} ${seconds(at - t0)}`).join(', ')}`);
    };

    let seq = 0;
    /** One platform run: POST → `running` event (timed), then DELETE → `deleted` (not timed). */
    const platform = async (check: boolean): Promise<number> => {
      const name = `bench-${++seq}`;
      const t0 = performance.now();
      const { id } = await createProject(api!, user, { name });
      const elapsed = (await arrival(id, 'running')) - t0;
      const steps = ['network', 'share', 'vm', 'tools', 'ready'] as const;
      report('platform', t0, steps.filter((st) => arrivals.has(`${id}:step:${st}`)).map((st) => [st, arrivals.get(`${id}:step:${st}`)!]));
      if (check) {
        const roles: ContainerRole[] = ['share', 'vm', 'tools'];
        platformShapes = { network: await networkShape(engine, networkName(id)) };
        for (const role of roles) platformShapes[role] = await containerShape(engine, containerName(role, id));
      }
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
    const cli = async (check: boolean): Promise<number> => {
      const k = `${rt.label}-${++seq}`.slice(-40);
      const base = `172.30.${await freeIndex()}`;
      const net = `pantheon-bench-net-${k}`;
      const names = { share: `pantheon-bench-share-${k}`, vm: `pantheon-bench-vm-${k}`, tools: `pantheon-bench-tools-${k}` };
      // Each in its own place, as the worker keeps them: the shared folder (VM-writable), /oem (VM read-only) and
      // the tools credentials (never in a VM's reach).
      const shareDir = join(rt.shareRoot, `cli-${k}`);
      const oemDir = join(cfg.OEM_DIR, `cli-${k}`);
      const secretsDir = join(cfg.TOOLS_CREDENTIALS_ROOT, `cli-${k}`);
      const projectId = randomUUID();
      const marks: [string, number][] = [];
      const mark = (step: string) => marks.push([step, performance.now()]);
      const deadline = Date.now() + RUN_TIMEOUT_MS;
      const t0 = performance.now();
      try {
        await docker('network', 'create', '--driver', 'bridge', '--subnet', `${base}.0/24`, '--gateway', `${base}.254`, ...cliLabels, net);
        mark('network');

        // The shared folder: world-writable (the VM's root has no DAC_OVERRIDE), a README and pantheon.json.
        await mkdir(shareDir, { recursive: true });
        await chmod(shareDir, 0o777);
        await writeFile(join(shareDir, 'README.txt'), 'This folder is shared between the project\'s VM and its tools.\n', { flag: 'wx', mode: 0o644 });
        await writeFile(
          join(shareDir, 'pantheon.json'),
          `${JSON.stringify({ project_id: projectId, gateway: { openai_base_url: `http://${base}.3:3000/v1` } }, null, 2)}\n`,
          { flag: 'wx', mode: 0o644 },
        );
        await docker('run', '-d', '--name', names.share, '--network', net, '--ip', `${base}.20`, '--restart', 'unless-stopped', ...cliLabels,
          ...lockedDown(cfg.SHARE_MEMORY_MB, cfg.SHARE_CPU_MILLICORES, cfg.SHARE_PIDS_LIMIT),
          '--mount', `type=bind,source=${shareDir},target=/shared,readonly`, '-e', 'SHARE_ROOT=/shared', '-e', 'SHARE_PORT=8080', env.SHARE_IMAGE);
        mark('share');

        // The project's /oem: the guest agent, install.bat and the per-project agent token the tools API presents.
        const agentToken = randomBytes(32).toString('base64url');
        await writeOemBundle({ dir: oemDir, agentToken, agentDistDir, windowsNodePath: cfg.GUEST_AGENT_WINDOWS_NODE ?? null, tokenOwner: { uid: 0, gid: 0 } });
        const ramMb = cfg.VM_DEFAULT_RAM_GB * 1024 + cfg.VM_MEMORY_OVERHEAD_MB;
        await docker('run', '-d', '--name', names.vm, '--network', net, '--ip', `${base}.2`, '--restart', 'unless-stopped', ...cliLabels,
          ...limits(ramMb, cfg.VM_DEFAULT_CPU_CORES * 1e9, cfg.VM_PIDS_LIMIT),
          ...vmCaps.flatMap((c) => ['--cap-add', c]), ...vmDevices.flatMap((d) => ['--device', `${d}:${d}:rwm`]),
          '--mount', `type=bind,source=${oemDir},target=/oem,readonly`, '--mount', `type=bind,source=${shareDir},target=/shared`,
          '-e', 'VERSION=11', '-e', `RAM_SIZE=${cfg.VM_DEFAULT_RAM_GB}G`, '-e', `CPU_CORES=${cfg.VM_DEFAULT_CPU_CORES}`,
          '-e', `DISK_SIZE=${cfg.VM_DEFAULT_DISK_GB}G`, env.VM_IMAGE);
        mark('vm');

        // Its credentials as 0400 files of the tools user in a read-only mount (the tools API refuses them in env);
        // the guest-agent token is the one in /oem.
        const credential = randomBytes(32).toString('base64url');
        await mkdir(cfg.TOOLS_CREDENTIALS_ROOT, { recursive: true, mode: 0o700 });
        await mkdir(secretsDir, { mode: 0o700 });
        if (process.getuid?.() === 0 && cfg.TOOLS_UID !== 0) await chown(secretsDir, cfg.TOOLS_UID, cfg.TOOLS_UID);
        await writeSecretFile(secretsDir, TOOLS_SECRET_FILES.apiCredential, credential, cfg.TOOLS_UID);
        await writeSecretFile(secretsDir, TOOLS_SECRET_FILES.projectToken, `pt_${randomBytes(24).toString('base64url')}`, cfg.TOOLS_UID);
        await writeSecretFile(secretsDir, TOOLS_SECRET_FILES.guestAgentToken, agentToken, cfg.TOOLS_UID);
        // As the runtime does: joined to the tools network before the start, so it boots with both interfaces.
        await docker('create', '--name', names.tools, '--network', net, '--ip', `${base}.1`, '--restart', 'unless-stopped', ...cliLabels,
          ...lockedDown(cfg.TOOLS_MEMORY_MB, cfg.TOOLS_CPU_MILLICORES, cfg.TOOLS_PIDS_LIMIT),
          '--mount', `type=bind,source=${secretsDir},target=${TOOLS_SECRETS_MOUNT},readonly`,
          '-e', `PROJECT_ID=${projectId}`, '-e', `VM_HOST=${base}.2`, '-e', 'VM_VIEWER_PORT=8006', '-e', `PORT=${TOOLS_PORT}`,
          '-e', `PANTHEON_GATEWAY_URL=${cfg.GATEWAY_URL_FOR_PROJECTS.replace('{backend_ip}', `${base}.3`)}`,
          '-e', `PANTHEON_PROJECT_TOKEN_FILE=${TOOLS_SECRETS_MOUNT}/${TOOLS_SECRET_FILES.projectToken}`,
          '-e', `PANTHEON_API_CREDENTIAL_FILE=${TOOLS_SECRETS_MOUNT}/${TOOLS_SECRET_FILES.apiCredential}`,
          '-e', `GUEST_AGENT_TOKEN_FILE=${TOOLS_SECRETS_MOUNT}/${TOOLS_SECRET_FILES.guestAgentToken}`, env.TOOLS_IMAGE);
        await docker('network', 'connect', env.TOOLS_NETWORK, names.tools);
        await docker('start', names.tools);
        mark('tools');

        await waitHealthy(`http://${base}.1:${TOOLS_PORT}/health`, credential, deadline);
        const elapsed = performance.now() - t0;
        mark('ready');
        report('docker-cli', t0, marks);
        if (check && platformShapes !== null) {
          const cliShapes: Record<string, Shape> = { network: await networkShape(engine, net) };
          for (const role of ['share', 'vm', 'tools'] as const) cliShapes[role] = await containerShape(engine, names[role]);
          const diff = Object.keys(platformShapes).flatMap((what) => differences(what, platformShapes![what], cliShapes[what]));
          console.error(diff.length === 0 ? 'bench:provision: the CLI\'s network and containers match the platform\'s' : `bench:provision: the CLI differs from the platform in: ${diff.join(', ')}`);
        }
        return elapsed;
      } finally {
        await docker('rm', '-f', '-v', ...Object.values(names)).catch(() => undefined);
        await docker('network', 'rm', net).catch(() => undefined);
        for (const dir of [shareDir, oemDir, secretsDir]) await rm(dir, { recursive: true, force: true });
      }
    };

    // The first platform run creates the tools network the CLI's tools container joins as well.
    for (let i = 0; i < WARMUP; i++) {
      await platform(i === 0);
      await cli(i === 0);
    }
    const samples = { platform: [] as number[], cli: [] as number[] };
    for (let i = 0; i < N; i++) {
      samples.platform.push(await platform(false));
      samples.cli.push(await cli(false));
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
    // Every container and network above carries the run's label; share, OEM and credential folders live under rt's base dir.
    await rt.cleanup();
    await admin.end();
    await issuer.stop();
  }
}

main().catch((err: Error) => {
  console.error(`bench:provision failed: ${err.message}`);
  process.exitCode = 1;
});
