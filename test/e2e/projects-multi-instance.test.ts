import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ProjectEvent } from '@pantheon/events';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { subscribe } from '../support/client';
import { adminPool, requiredEnv } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { projectObjects, runtimeTestEnv, RuntimeTestEnv } from '../support/runtime-env';
import { eventually } from '../support/eventually';
import { spawnWorker, WorkerProcess } from '../support/worker';

/**
 * Horizontal scaling: two API replicas and two worker processes on one database and one Redis prefix. Events
 * published anywhere reach a socket on any replica (Redis adapter), and each provision job runs exactly once
 * although two workers compete for it.
 */

const WORKER_READY_MS = 15_000;
const PROVISION_MS = 60_000;
const WORKER_STOP_MS = 20_000;

describe('projects: two API instances and two workers on one queue and one event bus', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let env: Record<string, string>;
  let one: TestApi;
  let two: TestApi;
  let workers: WorkerProcess[] = [];
  let alice: TestUser;
  let bob: TestUser;
  const admin = adminPool();
  const created: { id: string; name: string; owner: TestUser; via: TestApi }[] = [];
  /** Every event each user's socket (on instance 1 for alice, instance 2 for bob) received. */
  const received = new Map<string, ProjectEvent[]>();

  /** Subscribes `user` to its project updates through `instance`, recording what arrives in `received`. */
  async function connect(instance: TestApi, user: TestUser): Promise<void> {
    const socket = await instance.as(user).socket();
    const ack = await subscribe(socket, { channel: 'project-updates' });
    assert.equal(ack.ok, true, `subscribe: ${'error' in ack ? ack.error : ''}`);
    const events: ProjectEvent[] = [];
    received.set(user.id, events);
    socket.on('project:update', (e: ProjectEvent) => events.push(e));
  }

  const eventsOf = (user: TestUser, projectId: string) => (received.get(user.id) ?? []).filter((e) => e.projectId === projectId);

  async function create(via: TestApi, owner: TestUser, name: string) {
    const project = await createProject(via, owner, { name });
    assert.equal(project.status, 'queued');
    created.push({ id: project.id, name, owner, via });
    return project as { id: string };
  }

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('multi');
    // One prefix for all four processes (they must share queues and rooms), private to this suite.
    env = { ...rt.env, REDIS_PREFIX: `${requiredEnv('REDIS_PREFIX')}:multi-${randomBytes(3).toString('hex')}` };
    one = await startTestApi(issuer, env);
    two = await startTestApi(issuer, env);
    workers = [spawnWorker(env), spawnWorker(env)];
    await Promise.all(workers.map((w) => w.ready(WORKER_READY_MS)));
    alice = await createUser(one, issuer, 'multi-a');
    bob = await createUser(two, issuer, 'multi-b');
  });

  after(async () => {
    // Anything still alive (a test failed before the graceful stop) must not outlive the cleanup.
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await rt?.cleanup();
    if (created.length) await admin.query('delete from projects where id = any($1)', [created.map((p) => p.id)]);
    await one?.close();
    await two?.close();
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
      await other.as(p.owner).waitForProject(p.id, 'running', { timeoutMs: PROVISION_MS });
    }

    const { rows } = await admin.query<{ id: string; attempts: number }>('select id, attempts from projects where id = any($1)', [created.map((p) => p.id)]);
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.id, r.attempts])),
      Object.fromEntries(created.map((p) => [p.id, 1])),
      'projects.attempts: one provision run each',
    );
    const started = workers.map((w) => w.logs.entries().filter((l) => l.msg === 'provision started').map((l) => l.projectId));
    for (const p of created) {
      assert.equal(started.flat().filter((id) => id === p.id).length, 1, `${p.name}: one "provision started" across both workers`);
    }
    assert.equal(started.flat().length, created.length, 'no other provision ran');
    console.log(`multi-instance: provision runs per worker ${started.map((s) => s.length).join(' + ')}`);
  });

  it('deletes through either instance, announces it on both, and both workers stop cleanly on SIGTERM', async () => {
    for (const p of created) {
      const other = p.via === one ? two : one;
      const res = await other.as(p.owner).delete(`/api/projects/${p.id}?confirm=${encodeURIComponent(p.name)}`).expect(202);
      assert.equal(res.body.status, 'deleting');
    }
    for (const p of created) {
      // alice listens on instance 1, bob on instance 2.
      await eventually(async () => (eventsOf(p.owner, p.id).some((e) => e.status === 'deleted') ? true : undefined), 30_000, `${p.name} deleted event`);
      for (const instance of [one, two]) assert.equal((await instance.as(p.owner).get(`/api/projects/${p.id}`)).status, 404);
      assert.deepEqual(await projectObjects(p.id), { containers: [], networks: [] }, `${p.name}: nothing left in Docker`);
    }

    const codes = await Promise.all(workers.map((w) => w.stop(WORKER_STOP_MS)));
    assert.deepEqual(codes, [0, 0], 'each worker drains and exits 0 on SIGTERM');
    assert.ok(workers.every((w) => w.logs.entries().some((l) => l.msg?.startsWith('pantheon-worker stopping'))), 'the workers logged their stop');
  });
});
