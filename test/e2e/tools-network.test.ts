import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import { containerName, DockerRuntime, LABEL_KEYS, MANAGED_LABEL_VALUE, networkName } from '@pantheon/runtime';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { eventually } from '../support/eventually';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { runtimeTestEnv, RuntimeTestEnv, stopProjectSuite, testImageTag } from '../support/runtime-env';
import { startTestWorker, TestWorker } from '../support/worker';

const raw = new Docker();
const runtime = new DockerRuntime();
const ring = () => KeyRing.parse(process.env.PANTHEON_MASTER_KEYS!);

/** Runs `node -e <script> <arg>` inside a container (the stand-in images hold node) and returns stdout. */
async function execNode(container: string, script: string, arg: string): Promise<string> {
  const exec = await raw.getContainer(container).exec({ Cmd: ['/usr/local/bin/node', '-e', script, arg], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  raw.modem.demuxStream(stream, out, new PassThrough());
  await new Promise((resolve) => stream.on('end', resolve));
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** From inside `container`: `host:port=open|timeout|ECONNREFUSED|…` for each target (1.5 s each, in parallel). */
const PROBE = `
const net = require('node:net');
Promise.all(JSON.parse(process.argv[1]).map(([host, port]) => new Promise((resolve) => {
  const s = net.connect({ host, port, timeout: 1500 });
  const done = (r) => { s.destroy(); resolve(host + ':' + port + '=' + r); };
  s.once('connect', () => done('open'));
  s.once('timeout', () => done('timeout'));
  s.once('error', (e) => done(e.code || 'error'));
}))).then((r) => console.log(JSON.stringify(r)));
`;

async function probeFrom(container: string, targets: [string, number][]): Promise<Record<string, string>> {
  const lines = JSON.parse(await execNode(container, PROBE, JSON.stringify(targets))) as string[];
  return Object.fromEntries(lines.map((l) => l.split('=') as [string, string]));
}

/** A TCP connect from the test process (to a container this suite created). */
function reachableFromHost(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
  });
}

/** The LLM gateway's answer status to a project token (401 = unknown, expired or revoked). */
async function gatewayStatus(api: TestApi, token: string): Promise<number> {
  const res = await fetch(`${await api.listen()}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  await res.body?.cancel();
  return res.status;
}

async function toolsGet(ip: string, path: string, credential?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://${ip}:8090${path}`, { headers: credential ? { authorization: `Bearer ${credential}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('tools network: isolation, authenticated tools API, token files', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: TestWorker;
  let alice: TestUser;
  let bob: TestUser;
  const admin = adminPool();
  let dataIp: string;
  let platformGateway: string;
  let a: { id: string; name: string; base: string; toolsIp: string };
  let b: { id: string; name: string; base: string; toolsIp: string };

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('toolsnet');
    const env = { ...rt.env, TOOLS_TOKEN_TTL_S: '60', REDIS_PREFIX: `${process.env.REDIS_PREFIX}:toolsnet` };
    // The data services as production places them: on the platform network (here a stand-in listening on the
    // PostgreSQL and Redis ports).
    const platformBase = rt.env.PLATFORM_SUBNET.replace(/\.0\/24$/, '');
    platformGateway = `${platformBase}.1`;
    dataIp = `${platformBase}.4`;
    const labels = { [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE, [LABEL_KEYS.testRun]: rt.label };
    await runtime.ensureNetwork({ name: rt.env.PLATFORM_NETWORK, subnet: rt.env.PLATFORM_SUBNET, gateway: platformGateway, labels });
    const data = await raw.createContainer({
      name: `pantheon-data-${rt.label}`.slice(0, 60),
      Image: `pantheon/tools-api:${testImageTag()}`,
      Entrypoint: ['/usr/local/bin/node', '-e', "for (const p of [5432, 6379]) require('node:net').createServer((s) => s.end('hello')).listen(p, '0.0.0.0');"],
      Labels: labels,
      HostConfig: { NetworkMode: rt.env.PLATFORM_NETWORK },
      NetworkingConfig: { EndpointsConfig: { [rt.env.PLATFORM_NETWORK]: { IPAMConfig: { IPv4Address: dataIp } } } },
    });
    await data.start();
    api = await startTestApi(issuer, env);
    worker = await startTestWorker(env);
    alice = await createUser(api, issuer, 'toolsnet-a');
    bob = await createUser(api, issuer, 'toolsnet-b');
    const build = async (user: TestUser, name: string) => {
      const p = await createProject(api, user, { name });
      await api.as(user).waitForProject(p.id, 'running', { logs: worker.logs });
      const tools = await runtime.inspectContainer(containerName('tools', p.id));
      return { id: p.id as string, name, base: (p.network.subnet as string).replace(/\.0\/24$/, ''), toolsIp: tools!.networks[rt.env.TOOLS_NETWORK]! };
    };
    a = await build(alice, 'Anet');
    b = await build(bob, 'Bnet');
  });

  after(async () => {
    await stopProjectSuite({ worker, api, rt, admin, owners: [alice, bob], services: [issuer] });
  });

  it('attaches tools containers to the project network and the tools network (ICC off), never the platform network', async () => {
    const tools = await runtime.inspectContainer(containerName('tools', a.id));
    assert.deepEqual(Object.keys(tools!.networks).sort(), [networkName(a.id), rt.env.TOOLS_NETWORK].sort());
    const net = await runtime.inspectNetwork(rt.env.TOOLS_NETWORK);
    assert.equal(net?.isolated, true, 'com.docker.network.bridge.enable_icc=false');
    assert.equal(net?.subnet, rt.env.TOOLS_SUBNET);
    // Only tools containers (in a full run this suite's reconciler may also build another suite's stuck project).
    const attached = Object.keys(net!.containers);
    for (const name of [containerName('tools', a.id), containerName('tools', b.id)]) assert.ok(attached.includes(name), name);
    for (const name of attached) assert.match(name, /^pantheon-tools-[0-9a-f-]{36}$/, `${name} is on the tools network`);
  });

  it('from inside a tools container, the PostgreSQL and Redis ports of the platform and the host are unreachable', async () => {
    assert.equal(await reachableFromHost(dataIp, 5432), true, 'the data stand-in listens (the probe can tell)');
    const toolsGateway = rt.env.TOOLS_SUBNET.replace(/\.0\/24$/, '.1');
    const hosts = [dataIp, platformGateway, toolsGateway, `${a.base}.254`];
    const targets = hosts.flatMap((h): [string, number][] => [[h, 5432], [h, 6379]]);
    const seen = await probeFrom(containerName('tools', a.id), [...targets, [`${a.base}.2`, 9000]]);
    assert.equal(seen[`${a.base}.2:9000`], 'open', 'the probe reaches its own VM');
    for (const [h, p] of targets) assert.notEqual(seen[`${h}:${p}`], 'open', `${h}:${p} reachable from a tools container`);
  });

  it("project A's tools container cannot reach project B's tools API", async () => {
    const seen = await probeFrom(containerName('tools', a.id), [[b.toolsIp, 8090], [`${b.base}.1`, 8090], [`${b.base}.2`, 9000]]);
    for (const [target, result] of Object.entries(seen)) assert.notEqual(result, 'open', `${target} reachable from A's tools container`);
    assert.equal((await toolsGet(b.toolsIp, '/live')).status, 200, "B's tools API is up (seen from the host)");
  });

  it('answers 401 without the project credential, 200 on /live and with the credential', async () => {
    const credA = toolsApiCredential(ring(), a.id);
    const credB = toolsApiCredential(ring(), b.id);
    for (const path of ['/health', '/vm/info', '/mcp', '/nope']) {
      const anonymous = await toolsGet(a.toolsIp, path);
      assert.equal(anonymous.status, 401, path);
      assert.equal(anonymous.body.statusCode, 401);
      assert.equal((await toolsGet(a.toolsIp, path, credB)).status, 401, `${path} with another project's credential`);
    }
    assert.deepEqual(await toolsGet(a.toolsIp, '/live'), { status: 200, body: { status: 'ok' } });
    const health = await toolsGet(a.toolsIp, '/health', credA);
    assert.deepEqual([health.status, health.body.status, health.body.gateway_token], [200, 'ok', 'present']);
  });

  it('renews the token file before expiry: the container sees the new one, the gateway refuses the old one', async () => {
    const file = join(rt.env.TOOLS_CREDENTIALS_ROOT, a.id, 'project-token');
    const first = readFileSync(file, 'utf8');
    const gateway = (token: string) => gatewayStatus(api, token);
    assert.notEqual(await gateway(first), 401);
    // TTL 60 s: the reconciler (every 2 s) renews once less than half is left.
    const renewed = await eventually(async () => {
      const now = readFileSync(file, 'utf8');
      return now !== first ? now : undefined;
    }, 45_000, 'token renewed');
    assert.equal(await gateway(first), 401, 'the old token is revoked');
    await eventually(async () => {
      const current = readFileSync(file, 'utf8');
      const inside = await execNode(containerName('tools', a.id), "process.stdout.write(require('node:fs').readFileSync('/run/pantheon/project-token', 'utf8'))", '');
      // A further renewal between the two reads would only mean trying again.
      if (inside !== current || readFileSync(file, 'utf8') !== current) return undefined;
      return (await gateway(current)) !== 401 && readFileSync(file, 'utf8') === current ? true : undefined;
    }, 20_000, 'the container reads the renewed token and the gateway takes it');
    assert.match(renewed, /^pt_/);
  });

  it("refuses a deleted project's token at the gateway and removes its token folder", async () => {
    const dir = join(rt.env.TOOLS_CREDENTIALS_ROOT, b.id);
    const token = readFileSync(join(dir, 'project-token'), 'utf8');
    await api.as(bob).delete(`/api/projects/${b.id}?confirm=${b.name}`).expect(202);
    await eventually(async () => ((await api.as(bob).get(`/api/projects/${b.id}`)).status === 404 ? true : undefined), 30_000, 'deleted');
    assert.equal(await gatewayStatus(api, token), 401);
    assert.equal(existsSync(dir), false);
  });
});

describe('tools network: a failed project', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: TestWorker;
  let user: TestUser;
  const admin = adminPool();

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('toolsfail');
    // A "VM" that runs but never serves the viewer or the guest agent: every attempt fails at readiness,
    // after the tools container (and its token file) exist.
    const env = {
      ...rt.env,
      VM_IMAGE: `pantheon/share:${testImageTag()}`,
      PROVISION_HEALTH_TIMEOUT_MS: '1000',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:toolsfail`,
    };
    api = await startTestApi(issuer, env);
    worker = await startTestWorker(env);
    user = await createUser(api, issuer, 'toolsfail');
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await rt?.cleanup();
    await admin.query('delete from projects where owner_id = $1', [user?.id]).catch(() => undefined);
    await issuer?.stop();
    await admin.end();
  });

  it("revokes the failed project's tools token: the gateway refuses it", async () => {
    const { id } = await createProject(api, user, { name: 'Fails' });
    const file = join(rt.env.TOOLS_CREDENTIALS_ROOT, id, 'project-token');
    const token = await eventually(async () => (existsSync(file) ? readFileSync(file, 'utf8') : undefined), 30_000, 'token file');
    const gateway = () => gatewayStatus(api, token);
    await api.as(user).waitForProject(id, 'failed', { logs: worker.logs });
    assert.equal(await gateway(), 401);
    const { rows } = await admin.query(`select count(*)::int as n from project_tokens where project_id = $1 and kind = 'tools' and revoked_at is null`, [id]);
    assert.equal(rows[0].n, 0);
    assert.equal(existsSync(join(rt.env.TOOLS_CREDENTIALS_ROOT, id)), false);
  });
});
