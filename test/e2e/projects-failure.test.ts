import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProjectEvent } from '@pantheon/events';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { subscribe } from '../support/client';
import { adminPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { projectObjects, runtimeTestEnv, RuntimeTestEnv, stopProjectSuite } from '../support/runtime-env';
import { eventually } from '../support/eventually';
import { startTestWorker, TestWorker } from '../support/worker';

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
    // An image that is not here, on a registry that cannot be reached (port 1 on loopback refuses at once).
    const env = { ...rt.env, VM_IMAGE: '127.0.0.1:1/pantheon/no-such-image:missing', REDIS_PREFIX: `${process.env.REDIS_PREFIX}:fail` };
    api = await startTestApi(issuer, env);
    worker = await startTestWorker(env);
    alice = await createUser(api, issuer, 'fail');
  });
  after(async () => {
    await stopProjectSuite({ worker, api, rt, admin, owners: [alice], services: [issuer] });
  });

  it('retries with backoff, then marks the project failed with a reason and removes what it built', async () => {
    const socket = await api.as(alice).socket();
    const events: ProjectEvent[] = [];
    socket.on('project:update', (e: ProjectEvent) => events.push(e));
    assert.equal((await subscribe(socket, { channel: 'project-updates' })).ok, true);
    const { id } = await createProject(api, alice, { name: 'Doomed' });
    const failed = await api.as(alice).waitForProject(id, 'failed', { logs: worker.logs });
    assert.equal(failed.last_error, 'the image 127.0.0.1:1/pantheon/no-such-image:missing could not be downloaded: the registry could not be reached');
    assert.equal(failed.viewer_url, null);
    const { rows } = await admin.query('select attempts from projects where id = $1', [id]);
    assert.equal(rows[0].attempts, 3, 'all attempts were used');
    assert.deepEqual(await projectObjects(id), { containers: [], networks: [] }, 'no half-built leftovers');
    await eventually(async () => (events.some((e) => e.projectId === id && e.status === 'failed') ? true : undefined), 5000, 'failed event');
    const failedEvent = events.find((e) => e.status === 'failed')!;
    assert.equal(failedEvent.error, failed.last_error);
    const pulling = events.filter((e) => e.projectId === id && e.step === 'pulling');
    assert.ok(pulling.length >= 1 && pulling.every((e) => e.pull?.image === '127.0.0.1:1/pantheon/no-such-image:missing'), 'the pull was announced');
  });
});
