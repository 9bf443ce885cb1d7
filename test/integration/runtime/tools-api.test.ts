/**
 * The tools API image on the real engine: built from the compiled `dist/apps/tools-api` with
 * deploy/images/build-standin-images.sh, run at `.1` of a project network next to the VM stand-in at `.2`
 * and multi-homed on a second, platform-like network, the way the worker will run it.
 *
 * Network rule: traffic goes only to the networks and containers this file creates; everything carries
 * `pantheon.test-run=<uuid>` and is removed by that label in `after`, also when a test fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
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
} from '@pantheon/runtime';
import { subnetForIndex, type ProjectSubnet } from '@pantheon/ipam';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const BUILD_SCRIPT = 'deploy/images/build-standin-images.sh';
// test/run.sh builds this run's images under its own tag and removes them afterwards.
const TAG = process.env.PANTHEON_TEST_IMAGE_TAG ?? process.env.PANTHEON_IMAGE_TAG ?? 'dev';
const TOOLS_IMAGE = `pantheon/tools-api:${TAG}`;
const VM_IMAGE = `pantheon/vm-standin:${TAG}`;
/** Disjoint from the 200..250 the DockerRuntime test uses, so both can run at once. */
const PROJECT_SUBNET_INDEXES = Array.from({ length: 20 }, (_, i) => 180 + i);
const PLATFORM_ATTEMPTS = 20;
const WAIT_TIMEOUT_MS = 20_000;
/** The same rule as the tools API's own start-up guard. */
const SECRET_NAME = /(API_KEY|SECRET|PASSWORD|MASTER_KEY|TOKEN)$/i;

const RUN = randomUUID();
const PROJECT = randomUUID();
const PROJECT_NETWORK = networkName(PROJECT);
const PLATFORM_NETWORK = `pantheon-test-platform-${RUN}`;
const VM = containerName('vm', PROJECT);
const TOOLS = containerName('tools', PROJECT);
const GUARD = `pantheon-test-secret-guard-${RUN}`;
/** The folder the worker would write (credential and gateway token, 0400), mounted read-only at /run/pantheon. */
const SECRETS_DIR = mkdtempSync(path.join(tmpdir(), 'pantheon-tools-it-'));
const CREDENTIAL = `tac_it-${RUN}`;
const TOOLS_IMAGE_UID = 1000;
const AUTH = { authorization: `Bearer ${CREDENTIAL}` };

const runtime = new DockerRuntime();

interface HealthBody {
  status: string;
  project_id: string;
  vm: { viewer: string; agent: string; agent_info: Record<string, unknown> | null };
}

function isRepoRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'pantheon';
}

/** The repository root: the first directory above the compiled test (or the cwd) whose package is "pantheon". */
function repoRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (isRepoRoot(dir)) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`no package.json named "pantheon" above ${__dirname} or ${process.cwd()}`);
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

/** True when the CIDRs share an address. */
function overlaps(a: string, b: string): boolean {
  const range = (cidr: string): [number, number] => {
    const [address = '', prefix = '32'] = cidr.split('/');
    const size = 2 ** (32 - Number(prefix));
    const first = ipv4Number(address) - (ipv4Number(address) % size);
    return [first, first + size - 1];
  };
  const [aFirst, aLast] = range(a);
  const [bFirst, bLast] = range(b);
  return aFirst <= bLast && bFirst <= aLast;
}

/** Host interface networks (docker bridges included), which a new network must not shadow. */
function hostNetworks(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((info) => (info?.family === 'IPv4' && info.cidr ? [info.cidr] : []));
}

/** Creates the network in the first candidate /24 that neither the host nor the engine uses. */
async function createFreeNetwork(name: string, labels: Labels, candidates: string[]): Promise<string> {
  const host = hostNetworks();
  for (const cidr of candidates.filter((candidate) => !host.some((used) => overlaps(used, candidate)))) {
    try {
      await runtime.ensureNetwork({ name, subnet: cidr, gateway: cidr.replace(/\.0\/24$/, '.254'), labels });
      return cidr;
    } catch (error) {
      if (!(error instanceof RuntimeError && error.code === RuntimeErrorCode.SUBNET_IN_USE)) throw error;
    }
  }
  throw new Error(`no free subnet for ${name}`);
}

/** GET a JSON document with no keep-alive, so no socket outlives the test. */
function getJson(url: string, headers: Record<string, string> = AUTH): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 5_000, headers }, (response) => {
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

/** Polls until the URL answers `status`: containers take a moment to start listening or to stop. */
async function waitForStatus(url: string, status: number): Promise<unknown> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const answer = await getJson(url);
      if (answer.status === status) return answer.body;
      last = `status ${answer.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer ${status} (last: ${last})`);
}

async function waitForExit(name: string): Promise<number> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (docker('inspect', '--format', '{{.State.Running}}', name) === 'false') {
      return Number(docker('inspect', '--format', '{{.State.ExitCode}}', name));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not exit`);
}

async function removeEverythingOfThisRun(): Promise<void> {
  const { containers } = await runtime.listByLabel(testRunSelector(RUN));
  await Promise.all(containers.map((container) => runtime.removeContainer(container.name)));
  // Networks only after their containers: the engine refuses to remove a network with endpoints.
  const { networks } = await runtime.listByLabel(testRunSelector(RUN));
  for (const network of networks) await runtime.removeNetwork(network.name);
}

describe('tools API image (real engine)', { concurrency: false }, () => {
  let project: ProjectSubnet;
  let platformIp: string;
  let toolsSpec: ContainerSpec;
  let toolsUrl: string;

  before(async () => {
    await runtime.ping();
    const root = repoRoot();
    // Idempotent: only missing or stale images are built (a no-op when test/run.sh built them already).
    const build = (...args: string[]): void => {
      execFileSync('bash', [BUILD_SCRIPT, ...args], {
        cwd: root,
        env: { ...process.env, PANTHEON_IMAGE_TAG: TAG },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    };
    build();
    build('tools', path.join(root, 'dist/apps/tools-api/src'));

    const offset = randomInt(PROJECT_SUBNET_INDEXES.length);
    const indexes = [...PROJECT_SUBNET_INDEXES.slice(offset), ...PROJECT_SUBNET_INDEXES.slice(0, offset)];
    const projectCidr = await createFreeNetwork(
      PROJECT_NETWORK,
      resourceLabels({ projectId: PROJECT, role: 'network', testRun: RUN }),
      indexes.map((index) => subnetForIndex(index).cidr),
    );
    project = subnetForIndex(Number(projectCidr.split('.')[2]));
    const platformCidr = await createFreeNetwork(
      PLATFORM_NETWORK,
      testRunSelector(RUN),
      Array.from({ length: PLATFORM_ATTEMPTS }, () => `10.${randomInt(100, 250)}.${randomInt(0, 256)}.0/24`),
    );
    platformIp = platformCidr.replace(/\.0\/24$/, '.6');
    // As the worker writes them: 0400, owned by the image's app user (deploy/tools-api.Dockerfile, uid 1000).
    chmodSync(SECRETS_DIR, 0o755);
    for (const [name, value] of [['api-credential', CREDENTIAL], ['project-token', `pt_it-${RUN}`]]) {
      writeFileSync(path.join(SECRETS_DIR, name), value, { mode: 0o400 });
      chownSync(path.join(SECRETS_DIR, name), TOOLS_IMAGE_UID, TOOLS_IMAGE_UID);
    }

    await runtime.ensureContainer({
      name: VM,
      image: VM_IMAGE,
      env: { RAM_SIZE: '6G', CPU_CORES: '3' },
      labels: resourceLabels({ projectId: PROJECT, role: 'vm', testRun: RUN }),
      network: { name: PROJECT_NETWORK, ip: project.vm },
    });
    toolsSpec = {
      name: TOOLS,
      image: TOOLS_IMAGE,
      env: {
        PROJECT_ID: PROJECT,
        VM_HOST: project.vm,
        PANTHEON_PROJECT_TOKEN_FILE: '/run/pantheon/project-token',
        PANTHEON_API_CREDENTIAL_FILE: '/run/pantheon/api-credential',
      },
      mounts: [{ source: SECRETS_DIR, target: '/run/pantheon', readOnly: true }],
      labels: resourceLabels({ projectId: PROJECT, role: 'tools', testRun: RUN }),
      network: { name: PROJECT_NETWORK, ip: project.tools },
      extraNetworks: [{ name: PLATFORM_NETWORK, ip: platformIp }],
    };
    await runtime.ensureContainer(toolsSpec);
    toolsUrl = `http://${project.tools}:8090`;
  });

  after(async () => {
    await removeEverythingOfThisRun();
    rmSync(SECRETS_DIR, { recursive: true, force: true });
  });

  it('answers /health 200 ok at .1 once the VM viewer and guest agent are up', async () => {
    const body = (await waitForStatus(`${toolsUrl}/health`, 200)) as HealthBody;
    assert.equal(body.status, 'ok');
    assert.equal(body.project_id, PROJECT);
    assert.equal(body.vm.viewer, 'up');
    assert.equal(body.vm.agent, 'up');
    assert.equal(body.vm.agent_info?.agent, 'pantheon-guest-agent');
    assert.equal(body.vm.agent_info?.protocol, 1);
    assert.equal(body.vm.agent_info?.platform, 'linux');
    assert.equal((body as unknown as { gateway_token: string }).gateway_token, 'present', 'the mounted token file is readable');
  });

  it('answers 401 without the credential from its mounted file, on every route but /live', async () => {
    for (const route of ['/health', '/vm/info', '/secrets']) {
      assert.equal((await getJson(`${toolsUrl}${route}`, {})).status, 401, route);
      assert.equal((await getJson(`${toolsUrl}${route}`, { authorization: 'Bearer tac_wrong' })).status, 401, route);
    }
    assert.deepEqual(await getJson(`${toolsUrl}/live`, {}), { status: 200, body: { status: 'ok' } });
  });

  it('proxies /vm/info, answers /live on the platform network too, and 404s in JSON', async () => {
    const info = await getJson(`${toolsUrl}/vm/info`);
    assert.equal(info.status, 200);
    assert.deepEqual((info.body as { spec: unknown }).spec, {
      VERSION: '11',
      RAM_SIZE: '6G',
      CPU_CORES: '3',
      DISK_SIZE: '64G',
    });
    assert.deepEqual(await getJson(`http://${platformIp}:8090/live`), { status: 200, body: { status: 'ok' } });
    assert.deepEqual(await getJson(`${toolsUrl}/secrets`), {
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Cannot GET /secrets' },
    });
  });

  it('serves MCP at /mcp behind the credential: lists the tools and answers tool errors, not crashes', async () => {
    const connect = async (credential: string | null): Promise<Client> => {
      const client = new Client({ name: 'pantheon-runtime-it', version: '1.0.0' });
      const headers: Record<string, string> = credential === null ? {} : { authorization: `Bearer ${credential}` };
      await client.connect(new StreamableHTTPClientTransport(new URL(`${toolsUrl}/mcp`), { requestInit: { headers } }));
      return client;
    };
    for (const credential of [null, 'tac_wrong']) {
      await assert.rejects(connect(credential), (error: unknown) => error instanceof StreamableHTTPError && error.code === 401);
    }
    const client = await connect(CREDENTIAL);
    try {
      const { tools } = await client.listTools();
      for (const name of ['computer', 'computer_batch', 'vm_status', 'shell', 'file_read', 'type_text']) {
        assert.ok(tools.some((tool) => tool.name === name), name);
      }
      // The image's RFB client reaches the stand-in VM's Xvnc: a PNG the size of its framebuffer.
      const shot = (await client.callTool({ name: 'computer', arguments: { action: 'screenshot' } })) as CallToolResult;
      assert.notEqual(shot.isError, true, JSON.stringify(shot.content).slice(0, 300));
      const image = shot.content.find((c) => c.type === 'image');
      assert.ok(image && image.type === 'image' && image.mimeType === 'image/png');
      assert.equal(Buffer.from(image.data, 'base64').readUInt32BE(16), 1024, 'PNG width from its IHDR');
      // Bad arguments are tool errors, not crashes.
      const bad = (await client.callTool({ name: 'computer', arguments: { action: 'left_click', coordinate: [99999, 1] } })) as CallToolResult;
      assert.equal(bad.isError, true);
      const status = (await client.callTool({ name: 'vm_status', arguments: {} })) as CallToolResult;
      const text = status.content[0]?.type === 'text' ? status.content[0].text : '{}';
      assert.equal((JSON.parse(text) as { viewer: string }).viewer, 'up');
    } finally {
      await client.close();
    }
  });

  it('is attached to the project and the platform network and holds no secret-like env', async () => {
    const tools = await runtime.inspectContainer(TOOLS);
    assert.ok(tools);
    assert.equal(tools.state, 'running');
    assert.deepEqual(tools.networks, { [PROJECT_NETWORK]: project.tools, [PLATFORM_NETWORK]: platformIp });
    assert.equal(tools.env.PROJECT_ID, PROJECT);
    assert.equal(tools.env.VM_HOST, project.vm);
    assert.deepEqual(
      Object.keys(tools.env).filter((name) => SECRET_NAME.test(name)),
      [],
    );
    assert.equal(tools.labels['pantheon.role'], 'tools');
    assert.equal(tools.labels['pantheon.test-run'], RUN);
    assert.equal(tools.labels['pantheon.image'], 'pantheon/tools-api');
    // The same through the engine's own CLI, as an operator would check it.
    const env = JSON.parse(docker('inspect', '--format', '{{json .Config.Env}}', TOOLS)) as string[];
    assert.deepEqual(
      env.map((entry) => entry.split('=', 1)[0] ?? '').filter((name) => SECRET_NAME.test(name)),
      [],
    );
  });

  it('reports 503 degraded while the VM is stopped, and ok again once it is back', async () => {
    docker('stop', '--time', '5', VM);
    const degraded = (await waitForStatus(`${toolsUrl}/health`, 503)) as HealthBody;
    assert.deepEqual(degraded, {
      status: 'degraded',
      project_id: PROJECT,
      gateway_token: 'present',
      vm: { viewer: 'down', agent: 'down', agent_info: null },
    });
    const info = await getJson(`${toolsUrl}/vm/info`);
    assert.equal(info.status, 502);
    assert.equal((info.body as { error: string }).error, 'Bad Gateway');
    // The liveness of the tools API itself does not depend on the VM.
    assert.deepEqual(await getJson(`${toolsUrl}/live`), { status: 200, body: { status: 'ok' } });

    docker('start', VM);
    assert.equal(((await waitForStatus(`${toolsUrl}/health`, 200)) as HealthBody).status, 'ok');
  });

  it('logs one JSON line per request to stdout, without headers', async () => {
    const canary = `Bearer canary-${RUN}`;
    assert.equal((await getJson(`${toolsUrl}/live?probe=${RUN}`, { authorization: canary })).status, 200);
    const logs = docker('logs', TOOLS);
    assert.ok(!logs.includes(`canary-${RUN}`));
    assert.ok(!logs.toLowerCase().includes('authorization'));
    const lines = logs.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const live = lines.filter((line) => line.msg === 'request' && line.path === '/live');
    assert.ok(live.length >= 1);
    for (const line of live) {
      assert.equal(line.method, 'GET');
      assert.equal(line.status, 200);
      assert.equal(typeof line.ms, 'number');
      assert.equal(line.project_id, PROJECT);
    }
  });

  it('refuses to start, exit 1, when a secret-like variable is wired in', async () => {
    const canary = `sk-canary-${RUN}`;
    await runtime.ensureContainer({
      ...toolsSpec,
      name: GUARD,
      env: { ...toolsSpec.env, OPENAI_API_KEY: canary },
      network: { name: PROJECT_NETWORK, ip: project.tools.replace(/\.1$/, '.30') },
      extraNetworks: [],
    });
    assert.equal(await waitForExit(GUARD), 1);
    const logs = docker('logs', GUARD);
    assert.match(logs, /refusing to start: OPENAI_API_KEY looks like a secret/);
    assert.ok(!logs.includes(canary));
  });

  it('stops cleanly on SIGTERM (docker stop → exit code 0, not a kill)', async () => {
    docker('stop', '--time', '10', TOOLS);
    assert.equal(await waitForExit(TOOLS), 0);
    const last = docker('logs', '--tail', '1', TOOLS);
    assert.equal((JSON.parse(last) as { msg: string }).msg, 'stopped');
  });
});
