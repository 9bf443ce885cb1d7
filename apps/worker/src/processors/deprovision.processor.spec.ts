import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { networkName, projectSelector } from '@pantheon/runtime';
import { BACKEND, OWNER, projectJob, WorkerFixture, workerFixture } from '../worker.fixture';

const P = '0b9f1c7e-4d6a-4f1e-9a51-1f2e3d4c5b6a';
const Q = '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';
const STRANGER = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';

describe('DeprovisionProcessor', () => {
  let fx: WorkerFixture;
  beforeEach(async () => {
    fx = await workerFixture();
    fx.projects.add({ id: P, subnetIndex: 7 });
    fx.projects.add({ id: Q, subnetIndex: 8 });
    await fx.provision.process(projectJob(P));
    await fx.provision.process(projectJob(Q));
    fx.projects.markDeleting(P);
    fx.calls.length = 0;
    fx.published.length = 0;
  });
  afterEach(() => fx.close());

  const objectsOf = async (projectId: string) => {
    const { containers, networks } = await fx.engine.listByLabel(projectSelector(projectId));
    return containers.length + networks.length;
  };

  it('removes every container and network of the project, detaches the backend, deletes the folder and marks it deleted', async () => {
    assert.equal(await objectsOf(P), 4);
    assert.equal(await fx.deprovision.process(projectJob(P)), 'deleted');

    assert.equal(await objectsOf(P), 0);
    assert.equal(await objectsOf(Q), 4, 'another project is untouched');
    assert.deepEqual(Object.keys((await fx.engine.inspectContainer(BACKEND))?.networks ?? {}).sort(), [fx.config.PLATFORM_NETWORK, fx.config.TOOLS_NETWORK, networkName(Q)].sort());
    assert.equal(existsSync(join(fx.secretsRoot, P)), false, "its tools credentials are gone");
    assert.equal(existsSync(join(fx.secretsRoot, Q)), true);
    assert.equal(existsSync(join(fx.config.SHARE_ROOT, P)), false);
    assert.equal(existsSync(join(fx.config.SHARE_ROOT, Q)), true);
    const row = await fx.projects.get(P);
    assert.deepEqual([row?.status, row?.subnetIndex, row?.deletedAt instanceof Date], ['deleted', null, true]);
    assert.deepEqual(fx.projects.toolsTokens.filter((t) => t.projectId === P && !t.revoked), [], 'its tokens are revoked');
    assert.deepEqual(fx.published, [{ userId: OWNER, projectId: P, status: 'deleted', step: 'deprovision', progress: 100 }]);
  });

  it('a second run only re-announces the deletion', async () => {
    await fx.deprovision.process(projectJob(P));
    fx.calls.length = 0;
    assert.equal(await fx.deprovision.process(projectJob(P)), 'already-deleted');
    assert.deepEqual(fx.calls, []);
    assert.equal(fx.published.length, 2);
    assert.deepEqual(fx.published[0], fx.published[1]);
  });

  it('clears a half-built project', async () => {
    const half = '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
    fx.close();
    fx = await workerFixture({ VM_IMAGE: 'pantheon/absent:spec' });
    // Present when the pull step looks, gone when the VM is created: the build stops after network and share.
    const ensure = fx.engine.ensureImage.bind(fx.engine);
    fx.engine.ensureImage = async (reference, options) => (reference === 'pantheon/absent:spec' ? { pulled: false } : ensure(reference, options));
    fx.projects.add({ id: half, subnetIndex: 9 });
    await assert.rejects(fx.provision.process(projectJob(half)));
    assert.equal(await objectsOf(half), 2);
    fx.projects.markDeleting(half);
    assert.equal(await fx.deprovision.process(projectJob(half)), 'deleted');
    assert.equal(await objectsOf(half), 0);
  });

  it('deletes nothing for a forged job naming a project that is not being deleted, even with the right owner', async () => {
    assert.equal((await fx.projects.get(Q))?.status, 'running');
    assert.equal(await fx.deprovision.process(projectJob(Q)), 'not-deleting');
    assert.equal(await objectsOf(Q), 4);
    assert.equal((await fx.projects.get(Q))?.status, 'running');
    assert.deepEqual([fx.calls, fx.published], [[], []]);
    fx.projects.add({ id: STRANGER, status: 'failed' });
    assert.equal(await fx.deprovision.process(projectJob(STRANGER)), 'not-deleting');
    assert.equal((await fx.projects.get(STRANGER))?.status, 'failed');
  });

  it('ignores a job for someone else\'s project or one that does not exist', async () => {
    assert.equal(await fx.deprovision.process(projectJob(P, { userId: STRANGER })), 'missing');
    assert.equal(await fx.deprovision.process(projectJob(STRANGER)), 'missing');
    assert.equal(await objectsOf(P), 4);
    assert.equal((await fx.projects.get(P))?.status, 'deleting');
    assert.deepEqual([fx.calls, fx.published], [[], []]);
  });
});
