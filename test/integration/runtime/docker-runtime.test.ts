/**
 * DockerRuntime against the real engine on this machine, with the stand-in images from
 * deploy/images/build-standin-images.sh (built here when missing or stale).
 *
 * Network rule: traffic goes only to the networks and containers this file creates; everything carries
 * `pantheon.test-run=<uuid>` and is removed by that label in `after`, also when a test fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  containerName,
  DockerRuntime,
  networkName,
  resourceLabels,
  RuntimeError,
  RuntimeErrorCode,
  testRunSelector,
  type ContainerSpec,
  type Labels,
  type NetworkSpec,
} from '@pantheon/runtime';
import { subnetForIndex, type ProjectSubnet } from '@pantheon/ipam';

const BUILD_SCRIPT = 'deploy/images/build-standin-images.sh';
// test/run.sh builds this run's images under its own tag and removes them afterwards.
const TAG = process.env.PANTHEON_TEST_IMAGE_TAG ?? process.env.PANTHEON_IMAGE_TAG ?? 'dev';
const VM_IMAGE = `pantheon/vm-standin:${TAG}`;
const SHARE_IMAGE = `pantheon/share:${TAG}`;
const TEST_SUBNET_INDEXES = Array.from({ length: 51 }, (_, i) => 200 + i);
const READY_TIMEOUT_MS = 15_000;

const RUN = randomUUID();
const PROJECT_A = randomUUID();
const PROJECT_B = randomUUID();
const PLATFORM_NETWORK = `pantheon-test-platform-${RUN}`;

const runtime = new DockerRuntime();

function hasCode(code: RuntimeErrorCode) {
  return (error: unknown) => error instanceof RuntimeError && error.code === code;
}

/** The repository root: the compiled test may live outside it, so look from the cwd as well. */
function repoRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, BUILD_SCRIPT))) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`${BUILD_SCRIPT} not found above ${__dirname} or ${process.cwd()}`);
}

/** Host `host` of a /24 plan, e.g. `.6` for the tools API on the platform-like network. */
function addressIn(subnet: ProjectSubnet, host: number): string {
  return subnet.gateway.replace(/\.254$/, `.${host}`);
}

function labelsFor(projectId: string, role: 'network' | 'vm' | 'tools' | 'share'): Labels {
  return resourceLabels({ projectId, role, testRun: RUN });
}

/** GET a JSON document with no keep-alive, so no socket outlives the test. */
function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 5_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown });
        } catch {
          resolve({ status: response.statusCode ?? 0, body: text });
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`timeout: ${url}`)));
    request.on('error', reject);
  });
}

/** Polls until the URL answers 200: containers take a moment to start listening. */
async function waitForOk(url: string): Promise<unknown> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      const { status, body } = await getJson(url);
      if (status === 200) return body;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Creates a network in the first free 172.30.200-250.0/24, so runs never collide with existing networks. */
async function ensureFreeNetwork(name: string, labels: Labels, taken: Set<number>): Promise<ProjectSubnet> {
  const free = TEST_SUBNET_INDEXES.filter((index) => !taken.has(index));
  // Start at a random index so concurrent runs rarely race for the same subnet.
  const offset = randomInt(free.length);
  for (const index of [...free.slice(offset), ...free.slice(0, offset)]) {
    const subnet = subnetForIndex(index);
    try {
      await runtime.ensureNetwork({ name, subnet: subnet.cidr, gateway: subnet.gateway, labels });
      taken.add(index);
      return subnet;
    } catch (error) {
      if (!hasCode(RuntimeErrorCode.SUBNET_IN_USE)(error)) throw error;
    }
  }
  throw new Error('no free 172.30.200-250.0/24 subnet for the test');
}

async function removeEverythingOfThisRun(): Promise<void> {
  const { containers } = await runtime.listByLabel(testRunSelector(RUN));
  await Promise.all(containers.map((container) => runtime.removeContainer(container.name)));
  // Networks only after their containers: the engine refuses to remove a network with endpoints.
  const { networks } = await runtime.listByLabel(testRunSelector(RUN));
  for (const network of networks) await runtime.removeNetwork(network.name);
}

describe('DockerRuntime (real engine)', { concurrency: false }, () => {
  const taken = new Set<number>();
  let netA: ProjectSubnet;
  let netB: ProjectSubnet;
  let platform: ProjectSubnet;
  let sharedDir: string;
  let networkSpecA: NetworkSpec;
  let vmA: ContainerSpec;
  let shareA: ContainerSpec;
  let toolsA: ContainerSpec;
  let shareB: ContainerSpec;

  before(async () => {
    await runtime.ping();
    // Idempotent: builds only missing or stale images, otherwise returns in well under a second.
    execFileSync('bash', [BUILD_SCRIPT], { cwd: repoRoot(), stdio: ['ignore', 'ignore', 'inherit'] });

    sharedDir = mkdtempSync(path.join(tmpdir(), 'pantheon-runtime-share-'));
    // As the worker makes a project's folder (0755): the share image serves it as an unprivileged uid.
    chmodSync(sharedDir, 0o755);
    writeFileSync(path.join(sharedDir, 'notes.txt'), 'hello from project A\n');
    writeFileSync(path.join(sharedDir, '.env'), 'NOT_FOR_SHARING=1\n');

    netA = await ensureFreeNetwork(networkName(PROJECT_A), labelsFor(PROJECT_A, 'network'), taken);
    netB = await ensureFreeNetwork(networkName(PROJECT_B), labelsFor(PROJECT_B, 'network'), taken);
    platform = await ensureFreeNetwork(PLATFORM_NETWORK, testRunSelector(RUN), taken);
    networkSpecA = {
      name: networkName(PROJECT_A),
      subnet: netA.cidr,
      gateway: netA.gateway,
      labels: labelsFor(PROJECT_A, 'network'),
    };

    vmA = {
      name: containerName('vm', PROJECT_A),
      image: VM_IMAGE,
      env: { VERSION: '11', RAM_SIZE: '6G', CPU_CORES: '3', DISK_SIZE: '80G' },
      labels: labelsFor(PROJECT_A, 'vm'),
      network: { name: networkName(PROJECT_A), ip: netA.vm },
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      memoryBytes: 256 * 1024 * 1024,
      nanoCpus: 500_000_000,
      pidsLimit: 256,
      noNewPrivileges: true,
    };
    shareA = {
      name: containerName('share', PROJECT_A),
      image: SHARE_IMAGE,
      env: {},
      labels: labelsFor(PROJECT_A, 'share'),
      network: { name: networkName(PROJECT_A), ip: netA.share },
      mounts: [{ source: sharedDir, target: '/shared', readOnly: true }],
      readOnlyRootfs: true,
      tmpfs: { '/tmp': 'rw,noexec,nosuid,size=16m' },
      capDrop: ['ALL'],
      noNewPrivileges: true,
    };
    // Any long-running image stands in for the tools API here; what matters is the multi-homing.
    toolsA = {
      name: containerName('tools', PROJECT_A),
      image: VM_IMAGE,
      env: {},
      labels: labelsFor(PROJECT_A, 'tools'),
      network: { name: networkName(PROJECT_A), ip: netA.tools },
      extraNetworks: [{ name: PLATFORM_NETWORK, ip: addressIn(platform, 6) }],
    };
    shareB = {
      name: containerName('share', PROJECT_B),
      image: SHARE_IMAGE,
      env: {},
      labels: labelsFor(PROJECT_B, 'share'),
      network: { name: networkName(PROJECT_B), ip: netB.share },
      mounts: [{ source: sharedDir, target: '/shared', readOnly: true }],
    };
  });

  after(async () => {
    await removeEverythingOfThisRun();
    if (sharedDir !== undefined) rmSync(sharedDir, { recursive: true, force: true });
  });

  it('creates project networks with gateway .254 and their labels', async () => {
    const network = await runtime.inspectNetwork(networkName(PROJECT_A));
    assert.ok(network);
    assert.equal(network.subnet, netA.cidr);
    assert.equal(network.gateway, netA.gateway);
    assert.match(network.gateway ?? '', /\.254$/);
    assert.equal(network.internal, false);
    assert.equal(network.isolated, false, 'containers of one project talk to each other');
    assert.equal(network.labels['pantheon.managed'], 'true');
    assert.equal(network.labels['pantheon.project'], PROJECT_A);
    assert.equal(network.labels['pantheon.role'], 'network');
    assert.equal(network.labels['pantheon.test-run'], RUN);

    const again = await runtime.ensureNetwork(networkSpecA);
    assert.equal(again.created, false);
    assert.equal(again.network.id, network.id);
    assert.deepEqual(again.drift, []);
    const asIsolated = await runtime.ensureNetwork({ ...networkSpecA, isolated: true });
    assert.deepEqual(asIsolated.drift, [{ field: 'isolated', detail: 'false' }], 'reported, never changed in place');
  });

  it('runs the VM and share stand-ins at their static addresses', async () => {
    const vm = await runtime.ensureContainer(vmA);
    const share = await runtime.ensureContainer(shareA);
    assert.deepEqual([vm.created, vm.started, share.created, share.started], [true, true, true, true]);
    assert.deepEqual(vm.drift, []);
    assert.deepEqual(share.drift, []);

    const inspected = await runtime.inspectContainer(vmA.name);
    assert.ok(inspected);
    assert.equal(inspected.state, 'running');
    assert.equal(inspected.image, VM_IMAGE);
    assert.deepEqual(inspected.networks, { [networkName(PROJECT_A)]: netA.vm });
    assert.equal(inspected.env.RAM_SIZE, '6G');
    assert.equal(inspected.env.CPU_CORES, '3');
    assert.equal(inspected.labels['pantheon.project'], PROJECT_A);
    assert.equal(inspected.labels['pantheon.role'], 'vm');
    assert.equal(inspected.labels['pantheon.test-run'], RUN);
    assert.equal(inspected.labels['pantheon.image'], 'pantheon/vm-standin');

    const shareInfo = await runtime.inspectContainer(shareA.name);
    assert.deepEqual(shareInfo?.networks, { [networkName(PROJECT_A)]: netA.share });
    assert.deepEqual(shareInfo?.mounts, [{ source: sharedDir, target: '/shared', readOnly: true }]);
  });

  it('multi-homes a container at .1 of the project network and on a second network', async () => {
    const tools = await runtime.ensureContainer(toolsA);
    const platformIp = addressIn(platform, 6);
    assert.equal(tools.created, true);
    assert.deepEqual(tools.container.networks, {
      [networkName(PROJECT_A)]: netA.tools,
      [PLATFORM_NETWORK]: platformIp,
    });

    const projectNetwork = await runtime.inspectNetwork(networkName(PROJECT_A));
    assert.equal(projectNetwork?.containers[toolsA.name], netA.tools);
    const platformNetwork = await runtime.inspectNetwork(PLATFORM_NETWORK);
    assert.deepEqual(platformNetwork?.containers, { [toolsA.name]: platformIp });
    assert.equal(await runtime.connectNetwork(toolsA.name, PLATFORM_NETWORK, platformIp), false);
    await assert.rejects(
      runtime.connectNetwork(toolsA.name, PLATFORM_NETWORK, addressIn(platform, 7)),
      hasCode(RuntimeErrorCode.CONFLICT),
    );
  });

  it('is idempotent: ensuring again creates nothing and keeps the same ids', async () => {
    const initial = await runtime.listByLabel(testRunSelector(RUN));
    for (const spec of [vmA, shareA, toolsA]) {
      const first = await runtime.inspectContainer(spec.name);
      const again = await runtime.ensureContainer(spec);
      assert.deepEqual([again.created, again.started], [false, false], spec.name);
      assert.equal(again.container.id, first?.id, spec.name);
      assert.deepEqual(again.drift, [], spec.name);
    }
    const afterwards = await runtime.listByLabel(testRunSelector(RUN));
    assert.deepEqual(
      afterwards.containers.map((container) => container.id).sort(),
      initial.containers.map((container) => container.id).sort(),
    );
    assert.equal(afterwards.networks.length, 3);
  });

  it('reports drift by name and leaves the container as it is', async () => {
    const id = (await runtime.inspectContainer(vmA.name))?.id;
    const result = await runtime.ensureContainer({
      ...vmA,
      env: { ...vmA.env, RAM_SIZE: '16G' },
      memoryBytes: undefined,
      pidsLimit: 512,
      noNewPrivileges: false,
    });
    assert.equal(result.container.id, id);
    assert.deepEqual(result.drift, [
      { field: 'env', detail: 'RAM_SIZE' },
      { field: 'resources', detail: 'memory' },
      { field: 'resources', detail: 'pids' },
      { field: 'resources', detail: 'no-new-privileges' },
    ]);
    const share = await runtime.ensureContainer({ ...shareA, readOnlyRootfs: false, tmpfs: {} });
    assert.deepEqual(share.drift, [
      { field: 'resources', detail: 'read-only root' },
      { field: 'resources', detail: 'tmpfs' },
    ]);
    assert.equal(result.container.env.RAM_SIZE, '6G');
  });

  it('serves the viewer and the guest agent on the VM container address', async () => {
    assert.deepEqual(await waitForOk(`http://${netA.vm}:8006/health`), { status: 'ok', role: 'vm' });
    const health = (await waitForOk(`http://${netA.vm}:9000/health`)) as Record<string, unknown>;
    assert.equal(health.status, 'ok');
    assert.equal(health.agent, 'pantheon-guest-agent');
    // The real guest agent (baked into the stand-in: this VM has no agent in /oem), with its Linux adapter.
    assert.equal(health.protocol, 1);
    assert.equal(health.platform, 'linux');
    const info = (await waitForOk(`http://${netA.vm}:9000/info`)) as { spec: Record<string, string> };
    assert.deepEqual(info.spec, { VERSION: '11', RAM_SIZE: '6G', CPU_CORES: '3', DISK_SIZE: '80G' });
  });

  it('shares files read-only and never serves dotfiles', async () => {
    const listing = (await waitForOk(`http://${netA.share}:8080/files`)) as { entries: { name: string }[] };
    assert.deepEqual(
      listing.entries.map((entry) => entry.name),
      ['notes.txt'],
    );
    assert.equal((await getJson(`http://${netA.share}:8080/shared/notes.txt`)).body, 'hello from project A\n');
    assert.equal((await getJson(`http://${netA.share}:8080/shared/.env`)).status, 404);
    assert.equal((await getJson(`http://${netA.share}:8080/shared/..%2f..%2fetc/passwd`)).status, 400);
  });

  it("isolates projects: A's VM reaches its own share but not project B's containers", async () => {
    await runtime.ensureContainer(shareB);
    await waitForOk(`http://${netB.share}:8080/health`);
    await waitForOk(`http://${netA.share}:8080/health`);

    const own = await getJson(`http://${netA.vm}:9000/probe?host=${netA.share}&port=8080`);
    assert.deepEqual(own.body, { host: netA.share, port: 8080, reachable: true });
    const other = await getJson(`http://${netA.vm}:9000/probe?host=${netB.share}&port=8080`);
    assert.deepEqual(other.body, { host: netB.share, port: 8080, reachable: false });
  });

  it('converts engine failures to RuntimeError codes', async () => {
    await assert.rejects(
      runtime.ensureContainer({
        ...shareA,
        name: `pantheon-test-clash-${RUN}`,
        network: { name: shareA.network.name, ip: netA.vm },
      }),
      hasCode(RuntimeErrorCode.ADDRESS_IN_USE),
    );
    // The half-created container was cleaned up, so a corrected retry is not blocked.
    assert.equal(await runtime.inspectContainer(`pantheon-test-clash-${RUN}`), null);
    await assert.rejects(
      runtime.ensureContainer({
        ...shareA,
        name: `pantheon-test-missing-${RUN}`,
        image: `pantheon/does-not-exist:${TAG}`,
      }),
      hasCode(RuntimeErrorCode.IMAGE_NOT_FOUND),
    );
    await assert.rejects(
      runtime.ensureNetwork({ ...networkSpecA, name: `pantheon-test-overlap-${RUN}` }),
      hasCode(RuntimeErrorCode.SUBNET_IN_USE),
    );
    await assert.rejects(runtime.removeNetwork(networkName(PROJECT_A)), hasCode(RuntimeErrorCode.CONFLICT));
    await assert.rejects(runtime.removeNetwork('bridge'), hasCode(RuntimeErrorCode.NOT_MANAGED));
    await assert.rejects(
      new DockerRuntime({ socketPath: '/nonexistent/docker.sock' }).ping(),
      hasCode(RuntimeErrorCode.DOCKER_UNAVAILABLE),
    );
  });

  it('removes everything by label and tolerates removing twice', async () => {
    const listed = await runtime.listByLabel(testRunSelector(RUN));
    assert.equal(listed.containers.length, 4);
    assert.equal(listed.networks.length, 3);

    await removeEverythingOfThisRun();
    assert.deepEqual(await runtime.listByLabel(testRunSelector(RUN)), { containers: [], networks: [] });
    assert.equal(await runtime.removeContainer(vmA.name), false);
    assert.equal(await runtime.removeNetwork(networkName(PROJECT_A)), false);
    assert.equal(await runtime.inspectContainer(vmA.name), null);
    assert.equal(await runtime.inspectNetwork(networkName(PROJECT_A)), null);
  });
});
