import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { io, Socket } from 'socket.io-client';
import type { ProjectEvent } from '@pantheon/events';
import { createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool, requiredEnv } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { projectObjects, runtimeTestEnv, RuntimeTestEnv } from '../support/runtime-env';
import { eventually, spawnWorker, WorkerProcess } from '../support/worker';

/**
 * Horizontal scaling: two API replicas and two worker processes on one database and one Redis prefix. Events
 * published anywhere reach a socket on any replica (Redis adapter), and each provision job runs exactly once
 * although two workers compete for it.
 */

const WORKER_READY_MS = 15_000;
const PROVISION_MS = 60_000;
const WORKER_STOP_MS = 20_000;

interface Instance {
  api: TestApi;
  url: string;
}

interface LogLine {
  msg?: string;
  projectId?: string;
}

function logLines(w: WorkerProcess): LogLine[] {
  return w.lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

describe('projects: two API instances and two workers on one queue and one event bus', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let env: Record<string, string>;
  let one: Instance;
  let two: Instance;
  let workers: WorkerProcess[] = [];
  let alice: TestUser;
  let bob: TestUser;
  const sockets: Socket[] = [];
  const admin = adminPool();
  const created: { id: string; name: string; owner: TestUser; via: Instance }[] = [];
  /** Every event each user's socket (on instance 1 for alice, instance 2 for bob) received. */
  const received = new Map<string, ProjectEvent[]>();

  const auth = (u: TestUser) => ({ Authorization: `Bearer ${u.token}` });

  async function startInstance(): Promise<Instance> {
    const api = await startTestApi(issuer, env);
    await api.app.listen(0, '127.0.0.1');
    return { api, url: `http://127.0.0.1:${(api.server.address() as AddressInfo).port}` };
  }

  async function connect(instance: Instance, user: TestUser): Promise<Socket> {
    const socket = io(`${instance.url}/ws`, { path: instance.api.config.WS_PATH, auth: { token: user.token }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const ack = (await socket.timeout(5000).emitWithAck('subscribe', { channel: 'project-updates' })) as { ok: boolean; error?: string };
    assert.equal(ack.ok, true, `subscribe: ${ack.error ?? ''}`);
    const events: ProjectEvent[] = [];
    received.set(user.id, events);
    socket.on('project:update', (e: ProjectEvent) => events.push(e));
    return socket;
  }

  const eventsOf = (user: TestUser, projectId: string) => (received.get(user.id) ?? []).filter((e) => e.projectId === projectId);

  async function create(via: Instance, owner: TestUser, name: string) {
    const res = await via.api.http().post('/api/projects').set(auth(owner)).send({ name }).expect(202);
    assert.equal(res.body.status, 'queued');
    created.push({ id: res.body.id, name, owner, via });
    return res.body as { id: string };
  }

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('multi');
    // One prefix for all four processes (they must share queues and rooms), private to this suite.
    env = { ...rt.env, REDIS_PREFIX: `${requiredEnv('REDIS_PREFIX')}:multi-${randomBytes(3).toString('hex')}` };
    one = await startInstance();
    two = await startInstance();
    workers = [spawnWorker(env), spawnWorker(env)];
    await eventually(
      async () => (workers.every((w) => logLines(w).some((l) => l.msg === 'queue workers started')) ? true : undefined),
      WORKER_READY_MS,
      'both workers ready',
      50,
    );
    alice = await createUser(one.api, issuer, 'multi-a');
    bob = await createUser(two.api, issuer, 'multi-b');
  });

  after(async () => {
    for (const s of sockets) s.disconnect();
    // Anything still alive (a test failed before the graceful stop) must not outlive the cleanup.
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await rt?.cleanup();
    if (created.length) await admin.query('delete from projects where id = any($1)', [created.map((p) => p.id)]);
    await one?.api.close();
    await two?.api.close();
    await issuer?.stop();
    await admin.end();
  });

  it('delivers, to a socket on instance 1, the ordered events of a project created through instance 2', async () => {
    await connect(one, alice);
    const { id } = await create(two, alice, 'Multi-1');
    await eventually(async () => (eventsOf(alice, id).some((e) => e.status === 'running') ? true : undefined), PROVISION_MS, 'running event on instance 1');
    const mine = eventsOf(alice, id);
    assert.deepEqual(
      mine.map((e) => [e.status, e.step, e.progress]),
      [
        ['queued', null, 0],
        ['provisioning', 'network', 0],
        ['provisioning', 'network', 20],
        ['provisioning', 'share', 40],
        ['provisioning', 'vm', 60],
        ['provisioning', 'tools', 80],
        ['running', 'ready', 100],
      ],
      'every event once, in order (published by API instance 2 and a worker, delivered by instance 1)',
    );
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i].seq > mine[i - 1].seq, 'seq strictly increases');
  });

  it('runs each provision job exactly once although two workers compete', async () => {
    await connect(two, bob);
    await create(one, bob, 'Multi-2');
    await create(two, bob, 'Multi-3');
    await create(one, alice, 'Multi-4');
    // Read each project through the instance that did not create it.
    for (const p of created) {
      const other = p.via === one ? two : one;
      await eventually(
        async () => ((await other.api.http().get(`/api/projects/${p.id}`).set(auth(p.owner))).body.status === 'running' ? true : undefined),
        PROVISION_MS,
        `${p.name} running`,
      );
    }

    const { rows } = await admin.query<{ id: string; attempts: number }>('select id, attempts from projects where id = any($1)', [created.map((p) => p.id)]);
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.id, r.attempts])),
      Object.fromEntries(created.map((p) => [p.id, 1])),
      'projects.attempts: one provision run each',
    );
    const started = workers.map((w) => logLines(w).filter((l) => l.msg === 'provision started').map((l) => l.projectId));
    for (const p of created) {
      assert.equal(started.flat().filter((id) => id === p.id).length, 1, `${p.name}: one "provision started" across both workers`);
    }
    assert.equal(started.flat().length, created.length, 'no other provision ran');
    console.log(`multi-instance: provision runs per worker ${started.map((s) => s.length).join(' + ')}`);
  });

  it('deletes through either instance, announces it on both, and both workers stop cleanly on SIGTERM', async () => {
    for (const p of created) {
      const other = p.via === one ? two : one;
      const res = await other.api.http().delete(`/api/projects/${p.id}?confirm=${encodeURIComponent(p.name)}`).set(auth(p.owner)).expect(202);
      assert.equal(res.body.status, 'deleting');
    }
    for (const p of created) {
      // alice listens on instance 1, bob on instance 2.
      await eventually(async () => (eventsOf(p.owner, p.id).some((e) => e.status === 'deleted') ? true : undefined), 30_000, `${p.name} deleted event`);
      for (const instance of [one, two]) assert.equal((await instance.api.http().get(`/api/projects/${p.id}`).set(auth(p.owner))).status, 404);
      assert.deepEqual(await projectObjects(p.id), { containers: [], networks: [] }, `${p.name}: nothing left in Docker`);
    }

    const codes = await Promise.all(
      workers.map(async (w) => {
        w.proc.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([w.exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), WORKER_STOP_MS)))]);
        clearTimeout(timer);
        return code;
      }),
    );
    assert.deepEqual(codes, [0, 0], 'each worker drains and exits 0 on SIGTERM');
    assert.ok(workers.every((w) => logLines(w).some((l) => l.msg?.startsWith('pantheon-worker stopping'))), 'the workers logged their stop');
  });
});
