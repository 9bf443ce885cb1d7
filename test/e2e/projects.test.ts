import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { DockerRuntime, LABEL_KEYS, containerName, networkName } from '@pantheon/runtime';
import type { ProjectEvent } from '@pantheon/events';
import { canaryKey, createApiKey, createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { subscribe } from '../support/client';
import { adminPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { projectObjects, runtimeTestEnv, RuntimeTestEnv, stopProjectSuite } from '../support/runtime-env';
import { eventually } from '../support/eventually';
import { startTestWorker, TestWorker } from '../support/worker';

/** Lists every file under `dir` (the shared folder), for the secret scan. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('projects: provisioning on a real Docker engine, status over socket.io', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: TestWorker;
  let alice: TestUser;
  let bob: TestUser;
  const docker = new DockerRuntime();
  const rawDocker = new Docker();
  const admin = adminPool();
  let canary: string;

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('projects');
    api = await startTestApi(issuer, { ...rt.env, PROJECTS_MAX_PER_USER: '3' });
    worker = await startTestWorker(rt.env);
    alice = await createUser(api, issuer, 'alice');
    bob = await createUser(api, issuer, 'bob');
    // A provider key that must never reach a container, its env, mounts or the shared folder.
    canary = canaryKey('never-in-vm');
    await createApiKey(api, alice, { key: canary, provider: 'openai' });
  });

  after(async () => {
    await stopProjectSuite({ worker, api, rt, admin, owners: [alice, bob], services: [issuer] });
  });

  let projectA: { id: string; network: { subnet: string } };

  it('accepts a project (202 queued) and streams ordered progress events up to running', async () => {
    const socket = await api.as(alice).socket();
    const ack = await subscribe(socket, { channel: 'project-updates' });
    assert.equal(ack.ok, true);
    const events: ProjectEvent[] = [];
    socket.on('project:update', (e: ProjectEvent) => events.push(e));

    const created = await createProject(api, alice, { name: 'Alpha', vm: { ram_gb: 6, cpu_cores: 3, disk_gb: 80 } });
    assert.equal(created.status, 'queued');
    assert.equal(created.progress, 0);
    assert.match(created.network.subnet, /^172\.30\.\d{1,3}\.0\/24$/);
    assert.deepEqual(created.vm, { ram_gb: 6, cpu_cores: 3, disk_gb: 80, windows_version: '11' });
    projectA = created;

    await eventually(async () => (events.some((e) => e.projectId === projectA.id && e.status === 'running') ? true : undefined), 60_000, 'running event');
    const mine = events.filter((e) => e.projectId === projectA.id);
    assert.deepEqual(
      mine.filter((e) => e.progress > 0).map((e) => [e.step, e.progress, e.status]),
      [['network', 20, 'provisioning'], ['share', 40, 'provisioning'], ['vm', 60, 'provisioning'], ['tools', 80, 'provisioning'], ['ready', 100, 'running']],
    );
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i].seq > mine[i - 1].seq, 'seq strictly increases');
    assert.deepEqual(Object.keys(mine[mine.length - 1]).sort(), ['at', 'progress', 'projectId', 'seq', 'status', 'step']);

    const got = await api.as(alice).get(`/api/projects/${projectA.id}`).expect(200);
    assert.equal(got.body.status, 'running');
    assert.equal(got.body.viewer_url, `/api/projects/${got.body.id}/viewer`, "the route that opens a viewer, not the VM's address");
  });

  it('builds the network, VM, share and multi-homed tools API as designed (docker inspect)', async () => {
    const base = projectA.network.subnet.replace(/\.0\/24$/, '');
    const net = await docker.inspectNetwork(networkName(projectA.id));
    assert.ok(net);
    assert.equal(net.subnet, `${base}.0/24`);
    assert.equal(net.gateway, `${base}.254`);
    assert.equal(net.labels[LABEL_KEYS.project], projectA.id);
    assert.equal(net.labels[LABEL_KEYS.role], 'network');

    const vm = await docker.inspectContainer(containerName('vm', projectA.id));
    const tools = await docker.inspectContainer(containerName('tools', projectA.id));
    const share = await docker.inspectContainer(containerName('share', projectA.id));
    assert.ok(vm && tools && share);
    assert.equal(vm.networks[net.name], `${base}.2`);
    assert.equal(tools.networks[net.name], `${base}.1`);
    assert.equal(share.networks[net.name], `${base}.20`);
    assert.deepEqual(Object.keys(tools.networks).sort(), [net.name, rt.env.TOOLS_NETWORK].sort(), 'tools API is multi-homed, never on the platform network');
    assert.match(tools.networks[rt.env.TOOLS_NETWORK] ?? '', /^10\.\d+\.\d+\.\d+$/);
    assert.deepEqual(tools.mounts, [{ source: join(rt.env.TOOLS_CREDENTIALS_ROOT, projectA.id), target: '/run/pantheon', readOnly: true }]);
    for (const [c, role] of [[vm, 'vm'], [tools, 'tools'], [share, 'share']] as const) {
      assert.equal(c.labels[LABEL_KEYS.project], projectA.id);
      assert.equal(c.labels[LABEL_KEYS.role], role);
      assert.equal(c.state, 'running');
    }
    assert.equal(vm.env.VERSION, '11');
    assert.equal(vm.env.RAM_SIZE, '6G');
    assert.equal(vm.env.CPU_CORES, '3');
    assert.equal(vm.env.DISK_SIZE, '80G');
    assert.deepEqual(vm.mounts.map((m) => m.target).sort(), ['/oem', '/shared']);
    assert.equal(vm.mounts.find((m) => m.target === '/oem')?.readOnly, true);
    assert.equal(share.mounts.find((m) => m.target === '/shared')?.readOnly, true);
  });

  it('puts no provider key and no token anywhere: docker inspect of every container, env, mounts or the shared folder', async () => {
    // The tools token and credential exist only as files the worker wrote outside the shared folder.
    const secretsDir = join(rt.env.TOOLS_CREDENTIALS_ROOT, projectA.id);
    const token = readFileSync(join(secretsDir, 'project-token'), 'utf8');
    const credential = readFileSync(join(secretsDir, 'api-credential'), 'utf8');
    assert.match(token, /^pt_/);
    assert.match(credential, /^tac_/);
    const { containers } = await docker.listByLabel({ [LABEL_KEYS.project]: projectA.id });
    assert.deepEqual(containers.map((c) => c.labels[LABEL_KEYS.role]).sort(), ['share', 'tools', 'vm']);
    for (const { name } of containers) {
      // The engine's own full answer, as `docker inspect` prints it.
      const dump = JSON.stringify(await rawDocker.getContainer(name).inspect());
      for (const [what, secret] of [['provider key', canary], ['project token', token], ['tools credential', credential]]) {
        assert.ok(!dump.includes(secret), `docker inspect ${name} shows the ${what}`);
      }
      const c = await docker.inspectContainer(name);
      for (const key of Object.keys(c!.env)) assert.doesNotMatch(key, /(API_KEY|SECRET|PASSWORD|MASTER_KEY|TOKEN)$/i, `${name} env ${key}`);
    }
    const files = filesUnder(join(rt.shareRoot, projectA.id));
    assert.ok(files.length >= 1, 'the shared folder was created');
    for (const f of files) {
      assert.ok(!f.split('/').pop()!.startsWith('.env'), `no .env in the shared folder (${f})`);
      const text = readFileSync(f, 'utf8');
      assert.ok(!text.includes(canary) && !text.includes(token) && !text.includes(credential), `${f} holds a secret`);
    }
  });

  it("isolates projects: A's VM cannot reach B's containers; B cannot read or subscribe to A's project", async () => {
    const projectB = await createProject(api, bob, { name: 'Bravo' });
    await api.as(bob).waitForProject(projectB.id, 'running', { logs: worker.logs });
    const a = projectA.network.subnet.replace(/\.0\/24$/, '');
    const b = projectB.network.subnet.replace(/\.0\/24$/, '');
    const probe = async (host: string, port: number) => {
      const res = await fetch(`http://${a}.2:9000/probe?host=${host}&port=${port}`);
      return ((await res.json()) as { reachable: boolean }).reachable;
    };
    assert.equal(await probe(`${a}.20`, 8080), true, "A's VM reaches its own share (the probe works)");
    assert.equal(await probe(`${b}.2`, 9000), false, "A's VM cannot reach B's VM");
    assert.equal(await probe(`${b}.1`, 8090), false, "A's VM cannot reach B's tools API");
    assert.equal(await probe(`${b}.20`, 8080), false, "A's VM cannot reach B's share");

    const read = await api.as(bob).get(`/api/projects/${projectA.id}`);
    assert.equal(read.status, 404);
    const list = await api.as(bob).get('/api/projects').expect(200);
    assert.deepEqual(list.body.data.map((p: { id: string }) => p.id), [projectB.id]);
    const bobSocket = await api.as(bob).socket();
    const ack = await subscribe(bobSocket, { projectId: projectA.id });
    assert.equal(ack.ok, false);
    const del = await api.as(bob).delete(`/api/projects/${projectA.id}?confirm=Alpha`);
    assert.equal(del.status, 404);
  });

  it('makes retries safe with Idempotency-Key, and enforces the per-user quota', async () => {
    const key = `idem-${Date.now()}`;
    const first = await createProject(api, alice, { name: 'Charlie', idempotencyKey: key });
    // The replay's headers are checked too, so this one goes through the client itself.
    const again = await api.as(alice).post('/api/projects').set('Idempotency-Key', key).send({ name: 'Charlie' }).expect(202);
    assert.equal(again.body.id, first.id);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    await createProject(api, alice, { name: 'Different', idempotencyKey: key, status: 409 });
    const dupName = await api.as(alice).post('/api/projects').send({ name: 'alpha' });
    assert.equal(dupName.status, 409, 'names are unique per user (case-insensitive)');
    await createProject(api, alice, { name: 'Delta' });
    const over = await createProject(api, alice, { name: 'Echo', status: 409 });
    assert.match(over.message, /Project limit reached: you have 3 of 3/);
    const { rows } = await admin.query('select count(*)::int as n from projects where owner_id = $1', [alice.id]);
    assert.equal(rows[0].n, 3, 'nothing extra was created');
  });

  it('deletes only with confirmation, removes every Docker object, and frees the subnet', async () => {
    const noConfirm = await api.as(alice).delete(`/api/projects/${projectA.id}`);
    assert.equal(noConfirm.status, 409);
    assert.match(noConfirm.body.message, /\?confirm=Alpha/);
    const wrong = await api.as(alice).delete(`/api/projects/${projectA.id}?confirm=alpha`);
    assert.equal(wrong.status, 409);
    assert.equal((await api.as(alice).get(`/api/projects/${projectA.id}`)).body.status, 'running', 'nothing happened');

    const socket = await api.as(alice).socket();
    await subscribe(socket, { projectId: projectA.id });
    const deleted = new Promise<ProjectEvent>((resolve) => socket.on('project:update', (e: ProjectEvent) => e.status === 'deleted' && resolve(e)));
    const del = await api.as(alice).delete(`/api/projects/${projectA.id}?confirm=Alpha`).expect(202);
    assert.equal(del.body.status, 'deleting');
    await deleted;
    await eventually(async () => ((await api.as(alice).get(`/api/projects/${projectA.id}`)).status === 404 ? true : undefined), 30_000, 'project gone');
    assert.deepEqual(await projectObjects(projectA.id), { containers: [], networks: [] });

    const { rows } = await admin.query(`select subnet_index from subnet_leases where project_id = $1`, [projectA.id]);
    assert.equal(rows.length, 0, 'lease released');
    // The lowest free subnet is handed out next, so the freed one is reused.
    const freedIndex = Number(projectA.network.subnet.split('.')[2]);
    const next = await createProject(api, alice, { name: 'Foxtrot' });
    assert.equal(Number(next.network.subnet.split('.')[2]), freedIndex);
  });
});
