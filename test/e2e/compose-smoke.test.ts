/**
 * The production stack as an operator starts it: `./deploy.sh env`, then docker-compose with
 * docker-compose.production.yml. An override replaces only what cannot be pulled here: PostgreSQL and Redis
 * run images built from the host's Debian packages, and the dev OIDC issuer stands in for Keycloak. The API,
 * worker, tools-api and share images are built from the production Dockerfiles. The test signs in, calls
 * /api/user/me, creates a project and sees it running, then removes everything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { findRepoRoot } from '../support/oidc';
import { eventually } from '../support/eventually';
import { testImageTag } from '../support/runtime-env';
import { freePort } from '../support/ports';

const ROOT = findRepoRoot();
const PROJECT = 'pantheon-smoke';

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: { ...process.env, ...opts.env }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`.slice(0, 8000));
  return r.stdout;
}


function setEnv(file: string, values: Record<string, string>): void {
  let text = readFileSync(file, 'utf8');
  for (const [k, v] of Object.entries(values)) {
    const line = `${k}=${v}`;
    text = new RegExp(`^${k}=.*$`, 'm').test(text) ? text.replace(new RegExp(`^${k}=.*$`, 'm'), line) : `${text}${line}\n`;
  }
  writeFileSync(file, text);
}

describe('production compose stack (smoke)', { timeout: 900_000 }, () => {
  const docker = new Docker();
  const tag = testImageTag();
  const label = `${process.env.PANTHEON_TEST_RUN_ID ?? 'local'}-smoke`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  let dir: string;
  let apiUrl: string;
  let issuerUrl: string;
  const compose = (...args: string[]) =>
    sh('docker-compose', ['-p', PROJECT, '-f', 'docker-compose.production.yml', '-f', 'docker-compose.smoke.yml', ...args], { cwd: dir });

  before(async () => {
    // The product images from the production Dockerfiles, and the stand-ins for what cannot be pulled.
    const build = (...args: string[]) => sh('bash', ['deploy/images/build-standin-images.sh', ...args], { env: { PANTHEON_IMAGE_TAG: tag } });
    for (const what of [['app', 'api'], ['app', 'worker'], ['app', 'tools-api'], ['app', 'share'], ['postgres'], ['redis']]) build(...what);

    dir = mkdtempSync(path.join(tmpdir(), 'pantheon-smoke-'));
    for (const f of ['docker-compose.production.yml', 'deploy.sh', '.env.example']) cpSync(path.join(ROOT, f), path.join(dir, f));
    for (const d of ['deploy/keycloak', 'deploy/postgres']) cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
    cpSync(path.join(ROOT, 'test/fixtures/compose/docker-compose.smoke.yml'), path.join(dir, 'docker-compose.smoke.yml'));
    const data = path.join(dir, 'data');
    mkdirSync(path.join(data, 'shares'), { recursive: true });
    mkdirSync(path.join(data, 'oem'), { recursive: true });
    // The worker runs as uid 1000 and creates the projects' folders here.
    for (const d of [data, path.join(data, 'shares'), path.join(data, 'oem')]) chmodSync(d, 0o777);

    sh('cp', ['.env.example', '.env'], { cwd: dir });
    const [apiPort, issuerPort] = [await freePort(), await freePort()];
    setEnv(path.join(dir, '.env'), {
      PANTHEON_VERSION: tag,
      PANTHEON_DATA_DIR: data,
      // The stand-in issuer listens on Keycloak's address; tokens carry this issuer.
      KEYCLOAK_URL: 'http://10.0.1.3:8080',
      API_PUBLIC_PORT: String(apiPort),
      KEYCLOAK_PORT: String(issuerPort),
      VM_IMAGE: `pantheon/vm-standin:${tag}`,
      VM_DEVICES: 'none',
      RUNTIME_TEST_RUN_LABEL: label,
      PROVISION_HEALTH_TIMEOUT_MS: '60000',
      LOG_LEVEL: 'info',
      // Read only by the override: where the stand-in issuer's code is.
      PANTHEON_SMOKE_REPO: ROOT,
    });
    sh('bash', ['deploy.sh', 'env'], { cwd: dir });
    apiUrl = `http://127.0.0.1:${apiPort}`;
    issuerUrl = `http://127.0.0.1:${issuerPort}/realms/pantheon`;
    compose('config', '-q');
    // A run that was killed before its cleanup leaves the stack behind: start from nothing.
    compose('down', '--volumes', '--remove-orphans');
    compose('up', '-d', '--no-build');
  });

  after(async () => {
    if (!dir) return;
    const byLabel = { label: [`pantheon.test-run=${label}`] };
    try {
      for (const s of ['api', 'worker']) {
        const r = spawnSync('docker', ['logs', '--tail', '30', `pantheon-${s}`], { encoding: 'utf8' });
        if (r.status === 0) process.stderr.write(`--- ${s} (last lines)\n${`${r.stdout}${r.stderr}`.slice(-3000)}\n`);
      }
      // Project containers first (they are attached to the stack's networks), then the stack, then networks.
      for (const c of await docker.listContainers({ all: true, filters: byLabel })) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
      compose('down', '--volumes', '--remove-orphans');
    } finally {
      for (const n of await docker.listNetworks({ filters: byLabel })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('brings every service up healthy', async () => {
    await eventually(
      async () => {
        const states = compose('ps', '-q').trim().split('\n').filter(Boolean).map((id) =>
          sh('docker', ['inspect', '--format', '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', id]).trim(),
        );
        assert.ok(!states.some((s) => / (exited|dead)|unhealthy/.test(s)), states.join('; '));
        return states.length === 5 && states.every((s) => / running healthy$/.test(s)) ? states : undefined;
      },
      300_000,
      'postgres, redis, keycloak (stand-in), api and worker healthy',
      3000,
    );
    const res = await fetch(`${apiUrl}/ready`);
    assert.equal(res.status, 200);
  });

  it('signs in, answers /api/user/me, creates a project and sees it running', async () => {
    const form = new URLSearchParams({ grant_type: 'password', client_id: 'pantheon-frontend', username: 'test-smoke', password: 'test-password' });
    const tokenRes = await fetch(`${issuerUrl}/protocol/openid-connect/token`, { method: 'POST', body: form });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    assert.equal(tokenRes.status, 200);
    const auth = { authorization: `Bearer ${token}` };

    const me = await fetch(`${apiUrl}/api/user/me`, { headers: auth });
    assert.equal(me.status, 200, await me.clone().text());
    const profile = (await me.json()) as { id: string; roles: string[] };
    assert.match(profile.id, /^[0-9a-f-]{36}$/);
    assert.ok(profile.roles.includes('pantheon-user'), 'the realm default role reached the API');

    const created = await fetch(`${apiUrl}/api/projects`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'smoke' }),
    });
    assert.equal(created.status, 202, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const project = await eventually(
      async () => {
        const r = await fetch(`${apiUrl}/api/projects/${id}`, { headers: auth });
        const p = (await r.json()) as { status: string; last_error?: string };
        assert.notEqual(p.status, 'failed', `provisioning failed: ${p.last_error}`);
        return p.status === 'running' ? p : undefined;
      },
      180_000,
      'the project running',
      1000,
    );
    assert.equal(project.status, 'running');
    // The API container joined the project network at .3 (BACKEND_CONTAINER).
    const api = await docker.getContainer('pantheon-api').inspect();
    assert.ok(Object.values(api.NetworkSettings.Networks).some((n) => /^172\.30\.\d+\.3$/.test(n.IPAddress)), 'the API is on the project network at .3');

    const deleted = await fetch(`${apiUrl}/api/projects/${id}?confirm=smoke`, { method: 'DELETE', headers: auth });
    assert.ok([202, 204].includes(deleted.status), await deleted.text());
  });

  it('holds no secret in the environment of its own containers', async () => {
    const secrets = readFileSync(path.join(dir, '.env'), 'utf8')
      .split('\n')
      .flatMap((l) => /^[A-Z0-9_]*(PASSWORD|SECRET|MASTER_KEYS)=(.{16,})$/.exec(l)?.[2] ?? []);
    assert.ok(secrets.length >= 8);
    for (const name of ['pantheon-api', 'pantheon-worker', 'pantheon-postgres', 'pantheon-redis']) {
      const info = JSON.stringify(await docker.getContainer(name).inspect());
      for (const s of secrets) assert.ok(!info.includes(s), `a secret from .env is in docker inspect of ${name}`);
    }
  });
});
