import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProjectEvent } from '@pantheon/events';
import { createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { projectObjects, runtimeTestEnv, RuntimeTestEnv } from '../support/runtime-env';
import { eventually, startTestWorker, TestWorker } from '../support/worker';
import { io } from 'socket.io-client';
import { AddressInfo } from 'node:net';


/** A project that cannot be built ends `failed` with a reason, after its retries, and leaves nothing behind. */
describe('projects: provisioning failure', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: TestWorker;
  let alice: TestUser;
  const admin = adminPool();

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('failure');
    // An image that does not exist locally (and no registry to pull it from).
    const env = { ...rt.env, VM_IMAGE: 'pantheon/no-such-image:missing', REDIS_PREFIX: `${process.env.REDIS_PREFIX}:fail` };
    api = await startTestApi(issuer, env);
    await api.app.listen(0, '127.0.0.1');
    worker = await startTestWorker(env);
    alice = await createUser(api, issuer, 'fail');
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await rt?.cleanup();
    // No leftover rows for a later suite's reconciler to re-drive.
    await admin.query('delete from projects where owner_id = any($1::uuid[])', [[alice?.id].filter(Boolean)]);
    await issuer?.stop();
    await admin.end();
  });

  it('retries with backoff, then marks the project failed with a reason and removes what it built', async () => {
    const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    const socket = io(`${url}/ws`, { path: api.config.WS_PATH, auth: { token: alice.token }, transports: ['websocket'], reconnection: false });
    const events: ProjectEvent[] = [];
    socket.on('project:update', (e: ProjectEvent) => events.push(e));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      assert.equal((await socket.timeout(5000).emitWithAck('subscribe', { channel: 'project-updates' })).ok, true);
      const res = await api.http().post('/api/projects').set('Authorization', `Bearer ${alice.token}`).send({ name: 'Doomed' }).expect(202);
      const failed = await eventually(async () => {
        const p = await api.http().get(`/api/projects/${res.body.id}`).set('Authorization', `Bearer ${alice.token}`);
        return p.body.status === 'failed' ? p.body : undefined;
      }, 60_000, 'the project to fail');
      assert.match(failed.last_error, /image/i, failed.last_error);
      assert.equal(failed.viewer_url, null);
      const { rows } = await admin.query('select attempts from projects where id = $1', [res.body.id]);
      assert.equal(rows[0].attempts, 3, 'all attempts were used');
      assert.deepEqual(await projectObjects(res.body.id), { containers: [], networks: [] }, 'no half-built leftovers');
      await eventually(async () => (events.some((e) => e.projectId === res.body.id && e.status === 'failed') ? true : undefined), 5000, 'failed event');
      const failedEvent = events.find((e) => e.status === 'failed')!;
      assert.equal(failedEvent.error, failed.last_error);
    } finally {
      socket.disconnect();
    }
  });
});
