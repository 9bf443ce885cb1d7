/**
 * The production images, built from deploy/*.Dockerfile as operators build them: on a node base imported
 * locally (no registry here) and a bundle imported from this checkout's build, laid out as
 * deploy/bundle.Dockerfile lays it out and pruned by the same script (deploy/images/build-standin-images.sh).
 * Checked: image config (numeric non-root user, exec-form healthcheck, no secret-like env), contents
 * (production dependencies only, no tests, code not writable by the app user), and the api and worker booting
 * hardened (read-only root, no capabilities) against PostgreSQL (a scratch database the API migrates at boot)
 * and a password-protected Redis, answering /ready (api) and /metrics (worker), and turning healthy; tools-api
 * and share answer /live and /health.
 *
 * Network rule: PostgreSQL and Redis listen on loopback only, so the api and worker containers use the host
 * network and bind loopback themselves (traffic to loopback); tools-api and share run on a network this file
 * creates. Containers and the network carry pantheon.managed=true and pantheon.test-run=<label> and are
 * removed in `after`, with the images this file built (test/run.sh also removes every image of the run's tag).
 */
import assert from 'node:assert/strict';
import { ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import { adminPool, createScratchDatabase, testPool, type ScratchDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { findRepoRoot } from '../../support/oidc';
import { removeTestRun, testImageTag } from '../../support/runtime-env';
import { freePort } from '../../support/ports';

const ROOT = findRepoRoot();
const BUILD_SCRIPT = path.join(ROOT, 'deploy/images/build-standin-images.sh');
const TAG = testImageTag();
const LABEL = `${process.env.PANTHEON_TEST_RUN_ID ?? 'local'}-images`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
const LABEL_ARGS = ['--label', 'pantheon.managed=true', '--label', `pantheon.test-run=${LABEL}`];
const IMAGE = {
  api: `pantheon/api:${TAG}`,
  worker: `pantheon/worker:${TAG}`,
  toolsApi: `pantheon/tools-api:${TAG}`,
  share: `pantheon/share:${TAG}`,
};
const BUNDLE = `pantheon/bundle:${TAG}`;
/** The app user of every image (the worker writes tools credentials for this uid: TOOLS_UID). */
const APP_USER = '1000:1000';
const APP_UID = 1000;
const SECRET_NAME = /(API_KEY|SECRET|PASSWORD|PASSWD|MASTER_KEY|TOKEN|CREDENTIAL|PRIVATE)/i;
/** Packages only the build and the tests use; npm keeps some of them unless pruned as prune-bundle.sh does. */
const BUILD_ONLY_PACKAGES = ['typescript', 'prisma', '@prisma/internals', '@prisma/dev', '@prisma/studio-core', '@nestjs/cli', '@nestjs/testing', 'supertest', 'oidc-provider', 'tsc-alias', 'socket.io-client'];
/** Probes run every 2 s here instead of the images' 15-30 s; the probe command is the image's own. */
const HEALTH_ARGS = ['--health-interval', '2s'];
const BOOT_TIMEOUT_MS = 60_000;

const execFileAsync = promisify(execFile);

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** `docker run …` with `env` passed by name (`-e NAME`), so no value appears in a process's arguments. */
function dockerRun(args: string[], env: Record<string, string>): string {
  const names = Object.keys(env).flatMap((name) => ['-e', name]);
  return execFileSync('docker', ['run', '-d', ...LABEL_ARGS, ...names, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

interface ImageConfig {
  User: string;
  Env: string[] | null;
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  WorkingDir: string;
  ExposedPorts: Record<string, unknown> | null;
  Labels: Record<string, string> | null;
  Healthcheck?: { Test: string[]; Interval: number; Timeout: number; Retries: number };
}

function imageConfig(image: string): ImageConfig {
  return JSON.parse(docker('image', 'inspect', '--format', '{{json .Config}}', image)) as ImageConfig;
}

function healthOf(container: string): string {
  return docker('inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', container);
}

async function becomesHealthy(container: string): Promise<void> {
  await eventually(
    async () => {
      if (docker('inspect', '--format', '{{.State.Running}}', container) !== 'true') {
        throw new Error(`${container} stopped: ${docker('logs', '--tail', '20', container)}`);
      }
      return healthOf(container) === 'healthy' ? true : undefined;
    },
    BOOT_TIMEOUT_MS,
    `${container} healthy`,
    500,
  );
}

/** Runs node inside `image` (no network) and returns what the script printed as JSON. */
function inspectFiles<T>(image: string, script: string): T {
  return JSON.parse(docker('run', '--rm', ...LABEL_ARGS, '--network', 'none', image, 'node', '-e', script)) as T;
}


async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}

/** A /24 in 10.x used by no Docker network (docker's own pools could hand out the projects' 172.30/16). */
function freeSubnet(): string {
  const used = new Set(
    docker('network', 'ls', '-q')
      .split('\n')
      .filter(Boolean)
      .flatMap((id) => docker('network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', id).split(' ')),
  );
  for (let i = 0; i < 100; i++) {
    const candidate = `10.${150 + Math.floor(Math.random() * 40)}.${Math.floor(Math.random() * 250)}.0/24`;
    if (!used.has(candidate)) return candidate;
  }
  throw new Error('no free 10.x /24 for the test network');
}

/** The final stage of a Dockerfile: the lines after its last FROM. */
function finalStage(dockerfile: string): { from: string; lines: string[] } {
  const lines = dockerfile.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const last = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  return { from: lines[last] ?? '', lines: lines.slice(last + 1) };
}

describe('production images (deploy/*.Dockerfile)', { concurrency: false }, () => {
  const secrets = {
    masterKey: `1:${randomBytes(32).toString('base64')}`,
    redisPassword: randomBytes(24).toString('hex'),
  };
  let workDir: string;
  let redis: ChildProcess | undefined;
  let redisUrl: string;
  let admin: Pool;
  let db: ScratchDatabase | undefined;
  let network: string;
  const containers = {
    api: `pantheon-test-images-api-${process.pid}`,
    worker: `pantheon-test-images-worker-${process.pid}`,
    tools: `pantheon-test-images-tools-${process.pid}`,
    share: `pantheon-test-images-share-${process.pid}`,
  };
  const ports = { api: 0, apiMetrics: 0, workerMetrics: 0 };

  before(async () => {
    // api and worker on the bundle of this build; tools-api and share are test/run.sh's (a no-op here when
    // up to date), built by the same script from the same Dockerfiles.
    const build = (args: string[], labels: string): Promise<unknown> =>
      execFileAsync('bash', [BUILD_SCRIPT, ...args], {
        cwd: ROOT,
        env: { ...process.env, PANTHEON_IMAGE_TAG: TAG, PANTHEON_IMAGE_LABELS: labels },
        maxBuffer: 16 * 1024 * 1024,
      });
    const labels = `pantheon.test-run=${LABEL}`;
    await build([], '');
    await build(['tools'], '');
    await build(['app', 'api'], labels);
    await build(['app', 'worker'], labels);

    workDir = mkdtempSync(path.join(tmpdir(), 'pantheon-images-'));
    // A dedicated Redis with a password (production refuses a password-less REDIS_URL), on loopback.
    const redisPort = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workDir,
        '--maxmemory-policy', 'noeviction', '--requirepass', secrets.redisPassword],
      { stdio: 'ignore' },
    );
    redisUrl = `redis://:${secrets.redisPassword}@127.0.0.1:${redisPort}`;
    await eventually(
      async () => {
        const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG' ? true : undefined;
        } finally {
          client.disconnect();
        }
      },
      10_000,
      'test Redis',
    );

    admin = adminPool();
    db = await createScratchDatabase(admin, 'images');
    network = `pantheon-test-images-${process.pid}`;
    // Gateway at .254 as on a project network, so the tools API can take .1.
    const subnet = freeSubnet();
    docker('network', 'create', ...LABEL_ARGS, '--subnet', subnet, '--gateway', subnet.replace(/\.0\/24$/, '.254'), network);
    ports.api = await freePort();
    ports.apiMetrics = await freePort();
    ports.workerMetrics = await freePort();
  });

  after(async () => {
    for (const id of docker('ps', '-aq', '--filter', `label=pantheon.test-run=${LABEL}`).split('\n').filter(Boolean)) {
      docker('rm', '-f', '-v', id);
    }
    if (network) docker('network', 'rm', network);
    await removeTestRun(LABEL);
    for (const image of [IMAGE.api, IMAGE.worker, BUNDLE]) {
      try {
        docker('image', 'rm', image);
      } catch {
        // Not built (a failed before): nothing to remove.
      }
    }
    if (redis && redis.exitCode === null) {
      const exited = new Promise((resolve) => redis!.once('exit', resolve));
      redis.kill('SIGTERM');
      await exited;
    }
    await db?.drop();
    await admin?.end();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('pins the base to the node the tests run on, keeps RUN out of the final stages, and bundles one tree', () => {
    for (const name of ['api', 'worker', 'tools-api', 'share']) {
      const file = readFileSync(path.join(ROOT, `deploy/${name}.Dockerfile`), 'utf8');
      const base = /^ARG BASE_IMAGE=node:(\d+\.\d+\.\d+)-bookworm-slim$/m.exec(file);
      assert.ok(base, `${name}: BASE_IMAGE must default to a pinned node:<x.y.z>-bookworm-slim`);
      assert.equal(base[1], process.versions.node, `${name}: the pinned node is the one the tests run on`);
      const stage = finalStage(file);
      assert.equal(stage.from, 'FROM ${BASE_IMAGE}', name);
      // The locally imported base has no shell: a RUN would only build where node:…-slim can be pulled.
      assert.deepEqual(stage.lines.filter((l) => /^RUN\s/i.test(l)), [], `${name}: RUN in the final stage`);
      if (name !== 'share') assert.match(file, /^ARG BUNDLE_IMAGE=pantheon\/bundle:latest$/m, name);
    }
    // What the images copy from is what the test bundle holds: package.json, node_modules, dist, prisma,
    // pruned by prune-bundle.sh in both.
    const bundle = readFileSync(path.join(ROOT, 'deploy/bundle.Dockerfile'), 'utf8');
    const stage = finalStage(bundle);
    assert.equal(stage.from, 'FROM scratch AS bundle');
    const copied = stage.lines.flatMap((l) => /^COPY --from=prune \/app\/(\S+) \/app\/\1$/.exec(l)?.[1] ?? []);
    assert.deepEqual(copied.sort(), ['dist', 'node_modules', 'package.json', 'prisma']);
    assert.match(bundle, /^RUN sh \/usr\/local\/bin\/prune-bundle\.sh \/app$/m);
    assert.match(readFileSync(BUILD_SCRIPT, 'utf8'), /sh "\$IMAGES_DIR\/prune-bundle\.sh" "\$root\/app"/);
  });

  it('image config: numeric non-root user, exec-form healthcheck, no secret-like env, OCI labels', () => {
    const probes: Record<keyof typeof IMAGE, RegExp> = {
      api: /\/ready$/,
      worker: /\/metrics$/,
      toolsApi: /\/live$/,
      share: /\/health$/,
    };
    for (const [key, image] of Object.entries(IMAGE) as [keyof typeof IMAGE, string][]) {
      const config = imageConfig(image);
      assert.equal(config.User, APP_USER, image);
      const check = config.Healthcheck;
      assert.ok(check, `${image} has a HEALTHCHECK`);
      assert.deepEqual(check.Test.slice(0, 3), ['CMD', 'node', '/app/healthcheck.js'], image);
      assert.match(check.Test[3] ?? '', probes[key], image);
      assert.ok(check.Interval >= 10e9 && check.Timeout > 0 && check.Retries >= 3, `${image} probe timings`);
      for (const entry of config.Env ?? []) {
        const name = entry.slice(0, entry.indexOf('='));
        assert.doesNotMatch(name, SECRET_NAME, `${image} env ${name}`);
      }
      assert.ok((config.Env ?? []).includes('NODE_ENV=production'), image);
      assert.ok(!config.Entrypoint?.length, `${image}: no entrypoint wrapper`);
      assert.equal(config.Cmd?.[0], 'node', image);
      assert.equal(config.WorkingDir, '/app', image);
      assert.ok(Object.keys(config.ExposedPorts ?? {}).length > 0, `${image} EXPOSE`);
      assert.match(config.Labels?.['org.opencontainers.image.title'] ?? '', /^pantheon-/, image);
      assert.equal(config.Labels?.['org.opencontainers.image.version'], TAG, image);
    }
    // The probe fails on no answer (the healthy states below are not vacuous).
    const probe = spawnSync('docker', ['run', '--rm', ...LABEL_ARGS, '--network', 'none', IMAGE.api, 'node', '/app/healthcheck.js', 'http://127.0.0.1:1/ready'], { encoding: 'utf8' });
    assert.equal(probe.status, 1, probe.stderr);
    assert.match(probe.stderr, /^unhealthy: 127\.0\.0\.1:1\/ready: connect ECONNREFUSED/m);
  });

  it('holds production dependencies only, no compiled tests or source maps, and code the app user cannot change', () => {
    const script = `
      const fs = require('node:fs');
      const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(d + '/' + e.name) : [d + '/' + e.name]);
      const files = walk('/app/dist');
      let writable = true;
      try { fs.accessSync('/app', fs.constants.W_OK); fs.accessSync('/app/dist', fs.constants.W_OK); } catch { writable = false; }
      console.log(JSON.stringify({
        uid: process.getuid(),
        buildOnly: ${JSON.stringify(BUILD_ONLY_PACKAGES)}.filter((p) => fs.existsSync('/app/node_modules/' + p)),
        hasNodeModules: fs.existsSync('/app/node_modules'),
        apps: fs.readdirSync('/app/dist/apps').sort(),
        testFiles: files.filter((f) => /\\.spec\\.js$|\\.map$|\\/testing(\\/|\\.js$)|\\.fixture\\.js$/.test(f)),
        compiledTests: fs.existsSync('/app/dist/test'),
        migrations: fs.existsSync('/app/prisma/migrations') ? fs.readdirSync('/app/prisma/migrations').length : 0,
        writable,
      }));`;
    type Report = { uid: number; buildOnly: string[]; hasNodeModules: boolean; apps: string[]; testFiles: string[]; compiledTests: boolean; migrations: number; writable: boolean };
    const migrationDirs = readdirSync(path.join(ROOT, 'prisma/migrations'), { withFileTypes: true }).filter((e) => e.isDirectory()).length;
    const expected: Record<string, Partial<Report>> = {
      [IMAGE.api]: { hasNodeModules: true, apps: ['api'], migrations: migrationDirs },
      [IMAGE.worker]: { hasNodeModules: true, apps: ['guest-agent', 'worker'], migrations: 0 },
      // The bundle's node_modules for the MCP SDK, zod and sharp (apps/tools-api/src/allowed-imports.spec.ts).
      [IMAGE.toolsApi]: { hasNodeModules: true, apps: ['tools-api'], migrations: 0 },
    };
    for (const [image, want] of Object.entries(expected)) {
      const report = inspectFiles<Report>(image, script);
      assert.equal(report.uid, 1000, image);
      assert.deepEqual(report.buildOnly, [], `${image}: build-only packages`);
      assert.deepEqual(report.testFiles, [], `${image}: test files`);
      assert.equal(report.compiledTests, false, image);
      assert.equal(report.writable, false, `${image}: /app is writable by the app user`);
      assert.deepEqual({ hasNodeModules: report.hasNodeModules, apps: report.apps, migrations: report.migrations }, want, image);
    }
  });

  it("tools-api: loads sharp's native libvips, the MCP SDK and zod on the shipped base", async () => {
    const script = `
      const sharp = require('sharp');
      require('@modelcontextprotocol/sdk/server/mcp.js');
      require('zod');
      sharp({ create: { width: 16, height: 9, channels: 3, background: '#336699' } }).png().toBuffer()
        .then((png) => sharp(png).metadata())
        .then((m) => console.log(JSON.stringify({ format: m.format, width: m.width, height: m.height })));`;
    assert.deepEqual(inspectFiles(IMAGE.toolsApi, script), { format: 'png', width: 16, height: 9 });
  });

  it('api: boots hardened on PostgreSQL and Redis, migrates the empty database, answers /ready and turns healthy', async () => {
    assert.ok(db);
    const keyFile = path.join(workDir, 'master-keys');
    writeFileSync(keyFile, `${secrets.masterKey}\n`, { mode: 0o400 });
    // Readable by the image's uid only, as a compose secret would be.
    if (process.getuid?.() === 0) chownSync(keyFile, 1000, 1000);
    else chmodSync(keyFile, 0o444);

    dockerRun(
      ['--name', containers.api, '--network', 'host', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL',
        '--security-opt', 'no-new-privileges', ...HEALTH_ARGS,
        '-v', `${keyFile}:/run/secrets/pantheon_master_keys:ro`, IMAGE.api],
      {
        API_HOST: '127.0.0.1',
        API_PORT: String(ports.api),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(ports.apiMetrics),
        DATABASE_URL: db.appUrl,
        DATABASE_MIGRATION_URL: db.ownerUrl,
        DATABASE_WORKER_URL: db.workerUrl,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: `pantheon-test-${LABEL}`,
        // Only validated at boot; no token is verified here.
        KEYCLOAK_URL: 'http://127.0.0.1:1',
        PANTHEON_MASTER_KEYS_FILE: '/run/secrets/pantheon_master_keys',
      },
    );
    const ready = await eventually(
      async () => {
        if (docker('inspect', '--format', '{{.State.Running}}', containers.api) !== 'true') {
          throw new Error(`api stopped: ${docker('logs', '--tail', '20', containers.api)}`);
        }
        const res = await get(`http://127.0.0.1:${ports.api}/ready`).catch(() => undefined);
        return res?.status === 200 ? res : undefined;
      },
      BOOT_TIMEOUT_MS,
      'api /ready',
      500,
    );
    assert.deepEqual(JSON.parse(ready.text), { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
    await becomesHealthy(containers.api);

    // It migrated the empty database at boot, from the migrations in the image.
    const owner = testPool(db.adminUrl, 1);
    try {
      const { rows } = await owner.query<{ n: number }>('select count(*)::int as n from _prisma_migrations where finished_at is not null');
      const dirs = readdirSync(path.join(ROOT, 'prisma/migrations'), { withFileTypes: true }).filter((e) => e.isDirectory());
      assert.equal(rows[0]?.n, dirs.length);
    } finally {
      await owner.end();
    }
    // /metrics is on its own listener, not on the public port.
    assert.equal((await get(`http://127.0.0.1:${ports.api}/metrics`)).status, 404);
    assert.match((await get(`http://127.0.0.1:${ports.apiMetrics}/metrics`)).text, /^# HELP /m);
  });

  it('worker: boots on PostgreSQL, Redis and Docker as uid 1000, runs the reconciler and turns healthy', async () => {
    assert.ok(db);
    const socket = '/var/run/docker.sock';
    const keyFile = path.join(workDir, 'master-keys');
    dockerRun(
      ['--name', containers.worker, '--network', 'host', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL',
        '--security-opt', 'no-new-privileges', ...HEALTH_ARGS,
        // The socket's group instead of root, as the production compose file grants it.
        '-v', `${socket}:${socket}`, '--group-add', String(statSync(socket).gid),
        '-v', `${keyFile}:/run/secrets/pantheon_master_keys:ro`, IMAGE.worker],
      {
        WORKER_METRICS_HOST: '127.0.0.1',
        WORKER_METRICS_PORT: String(ports.workerMetrics),
        DATABASE_URL: db.appUrl,
        DATABASE_MIGRATION_URL: db.ownerUrl,
        DATABASE_WORKER_URL: db.workerUrl,
        MIGRATE_ON_BOOT: 'false',
        REDIS_URL: redisUrl,
        REDIS_PREFIX: `pantheon-test-${LABEL}`,
        KEYCLOAK_URL: 'http://127.0.0.1:1',
        PANTHEON_MASTER_KEYS_FILE: '/run/secrets/pantheon_master_keys',
        // The reconciler only ever touches objects carrying this label.
        RUNTIME_TEST_RUN_LABEL: LABEL,
        PLATFORM_NETWORK: `pantheon-test-images-platform-${process.pid}`,
        SHARE_ROOT: path.join(workDir, 'shares'),
      },
    );
    await becomesHealthy(containers.worker);
    // The reconcile job ran to completion: queue in Redis, projects read as pantheon_worker, Docker listed.
    await eventually(
      async () => {
        const metrics = (await get(`http://127.0.0.1:${ports.workerMetrics}/metrics`)).text;
        const done = /^pantheon_jobs_total\{queue="reconcile",outcome="completed"\} (\d+)/m.exec(metrics);
        return done && Number(done[1]) >= 1 ? true : undefined;
      },
      BOOT_TIMEOUT_MS,
      'a completed reconcile job',
      500,
    );
    assert.match(docker('logs', containers.worker), /queue workers started/);
  });

  it('tools-api and share: run as uid 1000 on a project-like network, answer /live and /health, turn healthy', async () => {
    const subnet = docker('network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', network);
    const base = subnet.replace(/\.0\/24$/, '');
    const shared = path.join(workDir, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    chmodSync(shared, 0o755);
    writeFileSync(path.join(shared, 'notes.txt'), 'from the images test\n', { mode: 0o644 });
    const hardened = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', ...HEALTH_ARGS];
    // Its credentials as the worker delivers them: 0400 files owned by the image's user, in a read-only mount.
    const credentials = path.join(workDir, 'tools-credentials');
    mkdirSync(credentials, { mode: 0o755 });
    for (const [name, value] of [['api-credential', 'tac_images-test'], ['project-token', 'pt_images-test']]) {
      writeFileSync(path.join(credentials, name), value, { mode: 0o400 });
      chownSync(path.join(credentials, name), APP_UID, APP_UID);
    }
    dockerRun(
      ['--name', containers.tools, '--network', network, '--ip', `${base}.1`, ...hardened, '-v', `${credentials}:/run/pantheon:ro`, IMAGE.toolsApi],
      {
        PROJECT_ID: '6f1f7c1e-4a8e-4c55-9f59-3c1f2b7a9d10',
        VM_HOST: `${base}.2`,
        // A wildcard bind: the healthcheck probes it on loopback.
        HOST: '0.0.0.0',
        PANTHEON_PROJECT_TOKEN_FILE: '/run/pantheon/project-token',
        PANTHEON_API_CREDENTIAL_FILE: '/run/pantheon/api-credential',
      },
    );
    dockerRun(
      ['--name', containers.share, '--network', network, '--ip', `${base}.20`, ...hardened, '-v', `${shared}:/shared:ro`, IMAGE.share],
      { SHARE_ROOT: '/shared', SHARE_PORT: '8080' },
    );
    await becomesHealthy(containers.tools);
    await becomesHealthy(containers.share);
    assert.deepEqual(JSON.parse((await get(`http://${base}.1:8090/live`)).text), { status: 'ok' });
    assert.equal((await get(`http://${base}.20:8080/health`)).status, 200);
    assert.equal((await get(`http://${base}.20:8080/shared/notes.txt`)).text, 'from the images test\n');
  });

  it('stops cleanly on SIGTERM and never logs a secret', () => {
    assert.ok(db);
    const passwords = [db.appUrl, db.ownerUrl, db.workerUrl].map((url) => new URL(url).password).filter((p) => p.length >= 6);
    const secretValues = [secrets.masterKey.slice(2), secrets.redisPassword, ...passwords];
    for (const name of Object.values(containers)) {
      docker('stop', '--time', '15', name);
      const logs = spawnSync('docker', ['logs', name], { encoding: 'utf8' });
      const output = `${logs.stdout}${logs.stderr}`;
      assert.equal(docker('inspect', '--format', '{{.State.ExitCode}}', name), '0', `${name}: ${output.slice(-800)}`);
      for (const secret of secretValues) assert.ok(!output.includes(secret), `${name} logged a secret`);
    }
  });
});
