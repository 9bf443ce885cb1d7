/**
 * The stand-in VM image (pantheon/vm-standin) in the real engine, with a project /oem written by the worker's
 * OEM builder and bind-mounted read-only, locked down as the worker runs a VM (cap_drop ALL + NET_ADMIN,
 * no-new-privileges, limits). Its network is 10.213.<random>.0/24 (outside 172.30.0.0/16, where other suites
 * allocate); everything carries this run's `pantheon.test-run` label and is removed in `after`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerName, DockerRuntime, networkName, resourceLabels, RuntimeError, RuntimeErrorCode, testRunSelector, type ContainerSpec } from '@pantheon/runtime';
import { OEM_LAYOUT, writeOemBundle } from '@pantheon/worker/testing';
import { eventually } from '../../support/eventually';

const BUILD_SCRIPT = 'deploy/images/build-standin-images.sh';
const TAG = process.env.PANTHEON_TEST_IMAGE_TAG ?? process.env.PANTHEON_IMAGE_TAG ?? 'dev';
const VM_IMAGE = `pantheon/vm-standin:${TAG}`;
/** This file runs from dist/test/integration/guest-agent: dist/ is three levels up, the repository four. */
const DIST = path.resolve(__dirname, '../../..');
const ROOT = path.resolve(DIST, '..');
const RUN = randomUUID();
const PROJECT = randomUUID();
const TOKEN = `gat_${randomBytes(24).toString('base64url')}`;
const BOOT_TIMEOUT_MS = 30_000;

const runtime = new DockerRuntime();

/** The first bytes the server sends: an RFB server speaks first with its 12-byte version banner. */
function readBanner(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy(new Error('no banner')));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 12) {
        socket.destroy();
        resolve(data.subarray(0, 12).toString('latin1'));
      }
    });
    socket.once('error', reject);
  });
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function removeEverythingOfThisRun(): Promise<void> {
  const { containers } = await runtime.listByLabel(testRunSelector(RUN));
  await Promise.all(containers.map((c) => runtime.removeContainer(c.name)));
  const { networks } = await runtime.listByLabel(testRunSelector(RUN));
  for (const n of networks) await runtime.removeNetwork(n.name);
}

describe('pantheon/vm-standin with a project /oem (real engine)', { concurrency: false }, () => {
  let oemDir: string;
  let vmIp: string;
  let spec: ContainerSpec;

  before(async () => {
    await runtime.ping();
    assert.ok(existsSync(path.join(ROOT, BUILD_SCRIPT)), `${BUILD_SCRIPT} not found under ${ROOT}`);
    // Idempotent: a no-op when test/run.sh built this tag already.
    execFileSync('bash', [BUILD_SCRIPT], { cwd: ROOT, env: { ...process.env, PANTHEON_IMAGE_TAG: TAG }, stdio: ['ignore', 'ignore', 'inherit'] });

    oemDir = mkdtempSync(path.join(tmpdir(), 'pantheon-oem-it-'));
    const bundle = await writeOemBundle({ dir: oemDir, agentToken: TOKEN, agentDistDir: DIST, logger: { warn: () => undefined } });
    assert.ok(bundle.files.includes(OEM_LAYOUT.agentMain));

    const labels = resourceLabels({ projectId: PROJECT, role: 'network', testRun: RUN });
    let base: string | null = null;
    for (let attempt = 0; attempt < 20 && base === null; attempt++) {
      const candidate = `10.213.${randomInt(0, 256)}`;
      try {
        await runtime.ensureNetwork({ name: networkName(PROJECT), subnet: `${candidate}.0/24`, gateway: `${candidate}.254`, labels });
        base = candidate;
      } catch (error) {
        if (!(error instanceof RuntimeError && error.code === RuntimeErrorCode.SUBNET_IN_USE)) throw error;
      }
    }
    assert.ok(base, 'no free 10.213.x.0/24');
    vmIp = `${base}.2`;
    spec = {
      name: containerName('vm', PROJECT),
      image: VM_IMAGE,
      env: { VERSION: '11', RAM_SIZE: '4G', CPU_CORES: '2', DISK_SIZE: '64G' },
      labels: resourceLabels({ projectId: PROJECT, role: 'vm', testRun: RUN }),
      network: { name: networkName(PROJECT), ip: vmIp },
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      noNewPrivileges: true,
      memoryBytes: 512 * 1024 * 1024,
      nanoCpus: 1_000_000_000,
      pidsLimit: 256,
      mounts: [{ source: oemDir, target: '/oem', readOnly: true }],
    };
    await runtime.ensureContainer(spec);
  });

  after(async () => {
    await removeEverythingOfThisRun();
    assert.equal(await runtime.inspectContainer(containerName('vm', PROJECT)), null, 'the VM container is gone');
    rmSync(oemDir, { recursive: true, force: true });
  });

  it('boots to agent_ready running the agent from /oem', async () => {
    const status = await eventually(
      async () => {
        const { body } = await getJson(`http://${vmIp}:8006/status`);
        return body.phase === 'agent_ready' ? body : undefined;
      },
      BOOT_TIMEOUT_MS,
      'phase agent_ready',
    );
    assert.equal(status.agent, 'oem');
  });

  it('speaks RFB on 5900 (TigerVNC banner)', async () => {
    assert.equal(await readBanner(vmIp, 5900), 'RFB 003.008\n');
  });

  it('serves the viewer health on 8006 and the agent health on 9000', async () => {
    assert.deepEqual(await getJson(`http://${vmIp}:8006/health`), { status: 200, body: { status: 'ok', role: 'vm' } });
    const { status, body } = await getJson(`http://${vmIp}:9000/health`);
    assert.equal(status, 200);
    assert.equal(body.agent, 'pantheon-guest-agent');
    assert.equal(body.platform, 'linux');
    const info = await getJson(`http://${vmIp}:9000/info`);
    assert.deepEqual(info.body.spec, { VERSION: '11', RAM_SIZE: '4G', CPU_CORES: '2', DISK_SIZE: '64G' });
  });

  it('runs an authenticated exec with the token from the bundle, and refuses a wrong one', async () => {
    const exec = (token: string) =>
      getJson(`http://${vmIp}:9000/v1/exec`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'it-1', command: 'echo "$DISPLAY"; ls /oem' }),
      });
    const refused = await exec(`${TOKEN}x`);
    assert.equal(refused.status, 401);
    const { status, body } = await exec(TOKEN);
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body, {
      id: 'it-1',
      ok: true,
      result: { exit_code: 0, stdout: ':0\ninstall.bat\npantheon\n', stderr: '', timed_out: false, truncated: false },
    });
  });
});
