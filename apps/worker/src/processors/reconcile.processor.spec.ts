import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { subnetForIndex } from '@pantheon/ipam';
import { containerName, LABEL_KEYS, networkName, projectSelector, resourceLabels } from '@pantheon/runtime';
import { BACKEND, OWNER, projectJob, WorkerFixture, workerFixture } from '../worker.fixture';
import { LEASE_RELEASED_NOTE } from './reconcile.processor';

const LIVE = '0b9f1c7e-4d6a-4f1e-9a51-1f2e3d4c5b6a';
const DELETED = '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';
const UNKNOWN = '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
const LONG_AGO = new Date(Date.now() - 3600_000);
const STUCK = 'b2b2b2b2-0000-4000-8000-000000000001';

describe('ReconcileProcessor', () => {
  let fx: WorkerFixture;
  const setup = async (env: Record<string, string> = {}) => {
    fx?.close();
    fx = await workerFixture(env);
  };
  beforeEach(() => setup());
  afterEach(() => fx.close());

  const objectsOf = async (projectId: string) => {
    const { containers, networks } = await fx.engine.listByLabel(projectSelector(projectId));
    return containers.length + networks.length;
  };
  /** What a worker killed mid-build leaves behind: a labelled network and VM for a project with no row. */
  const orphan = async (projectId: string, index: number, testRun?: string) => {
    const subnet = subnetForIndex(index);
    await fx.engine.ensureNetwork({
      name: networkName(projectId), subnet: subnet.cidr, gateway: subnet.gateway,
      labels: resourceLabels({ projectId, role: 'network', testRun }),
    });
    await fx.engine.ensureContainer({
      name: containerName('vm', projectId), image: fx.config.VM_IMAGE, env: {},
      labels: resourceLabels({ projectId, role: 'vm', testRun }), network: { name: networkName(projectId), ip: subnet.vm },
    });
    mkdirSync(join(fx.config.SHARE_ROOT, projectId), { recursive: true });
  };

  it('removes the objects of projects that are gone or deleted, keeping live projects and the platform', async () => {
    for (const [id, index] of [[LIVE, 7], [DELETED, 8]] as const) {
      fx.projects.add({ id, subnetIndex: index });
      await fx.provision.process(projectJob(id));
    }
    await fx.projects.finishDeletion(DELETED); // as if the objects outlived the row's deletion
    await orphan(UNKNOWN, 9);

    const report = await fx.reconcile.process();
    assert.deepEqual(report.orphansRemoved.sort(), [DELETED, UNKNOWN].sort());
    assert.deepEqual([await objectsOf(DELETED), await objectsOf(UNKNOWN), await objectsOf(LIVE)], [0, 0, 4]);
    assert.equal(existsSync(join(fx.config.SHARE_ROOT, UNKNOWN)), false);
    assert.equal(existsSync(join(fx.config.SHARE_ROOT, LIVE)), true);
    assert.ok(await fx.engine.inspectNetwork(fx.config.PLATFORM_NETWORK), 'the platform network carries no project label');
    assert.deepEqual(Object.keys((await fx.engine.inspectContainer(BACKEND))?.networks ?? {}).sort(), [fx.config.PLATFORM_NETWORK, fx.config.TOOLS_NETWORK, networkName(LIVE)].sort());
    assert.ok(await fx.engine.inspectNetwork(fx.config.TOOLS_NETWORK), 'the tools network carries no project label');
    assert.equal(existsSync(join(fx.secretsRoot, DELETED)), false, "an orphan's tools credentials go too");

    assert.deepEqual(await fx.reconcile.process(), { orphansRemoved: [], skipped: [], provisionRequeued: [], deprovisionRequeued: [], leasesReleased: [], toolsTokensRenewed: [] }, 'a second pass finds nothing');
  });

  it('skips an object whose project label is not a UUID and still reconciles the rest', async () => {
    await orphan(UNKNOWN, 9);
    await fx.engine.ensureContainer({
      name: 'pantheon-vm-hand-made', image: fx.config.VM_IMAGE, env: {},
      labels: { ...resourceLabels({ projectId: LIVE, role: 'vm' }), [LABEL_KEYS.project]: 'not-a-uuid' },
      network: { name: fx.config.PLATFORM_NETWORK, ip: fx.config.PLATFORM_SUBNET.replace(/\.0\/24$/, '.50') },
    });
    fx.projects.add({ id: STUCK, status: 'queued', updatedAt: LONG_AGO });

    const report = await fx.reconcile.process();
    assert.deepEqual(report, { orphansRemoved: [UNKNOWN], skipped: ['pantheon-vm-hand-made'], provisionRequeued: [STUCK], deprovisionRequeued: [], leasesReleased: [], toolsTokensRenewed: [] });
    assert.equal(await objectsOf(UNKNOWN), 0);
    assert.ok(await fx.engine.inspectContainer('pantheon-vm-hand-made'), 'the unidentifiable object is left alone');
  });

  it('only touches the objects of its own test run when one is configured', async () => {
    await setup({ RUNTIME_TEST_RUN_LABEL: 'run-a' });
    await orphan(UNKNOWN, 9, 'run-a');
    await orphan(DELETED, 8, 'run-b');
    assert.deepEqual((await fx.reconcile.process()).orphansRemoved, [UNKNOWN]);
    assert.deepEqual([await objectsOf(UNKNOWN), await objectsOf(DELETED)], [0, 2]);
  });

  it('re-drives stuck projects whose job was lost, leaving busy and recently changed ones alone', async () => {
    const ids = {
      lostQueued: 'a1a1a1a1-0000-4000-8000-000000000001',
      lostBuild: 'a1a1a1a1-0000-4000-8000-000000000002',
      failedJob: 'a1a1a1a1-0000-4000-8000-000000000003',
      busyBuild: 'a1a1a1a1-0000-4000-8000-000000000004',
      recent: 'a1a1a1a1-0000-4000-8000-000000000005',
      lostDelete: 'a1a1a1a1-0000-4000-8000-000000000006',
      busyDelete: 'a1a1a1a1-0000-4000-8000-000000000007',
      running: 'a1a1a1a1-0000-4000-8000-000000000008',
    };
    fx.projects.add({ id: ids.lostQueued, status: 'queued', updatedAt: LONG_AGO });
    fx.projects.add({ id: ids.lostBuild, status: 'provisioning', updatedAt: new Date(LONG_AGO.getTime() - 1000) });
    fx.projects.add({ id: ids.failedJob, status: 'provisioning', updatedAt: LONG_AGO });
    fx.queue.states.set(`provision-${ids.failedJob}`, 'failed');
    fx.projects.add({ id: ids.busyBuild, status: 'provisioning', updatedAt: LONG_AGO });
    fx.queue.states.set(`provision-${ids.busyBuild}`, 'active');
    fx.projects.add({ id: ids.recent, status: 'provisioning' });
    fx.projects.add({ id: ids.lostDelete, status: 'deleting', updatedAt: LONG_AGO });
    fx.projects.add({ id: ids.busyDelete, status: 'deleting', updatedAt: LONG_AGO });
    fx.queue.states.set(`deprovision-${ids.busyDelete}`, 'delayed');
    fx.projects.add({ id: ids.running, status: 'running', updatedAt: LONG_AGO });

    const report = await fx.reconcile.process();
    assert.deepEqual(report.provisionRequeued, [ids.lostBuild, ids.lostQueued, ids.failedJob], 'oldest first');
    assert.deepEqual(report.deprovisionRequeued, [ids.lostDelete]);
    assert.deepEqual(fx.queue.enqueued.map((j) => [j.action, j.data]), [
      ['provision', { userId: OWNER, projectId: ids.lostBuild, requestId: null }],
      ['provision', { userId: OWNER, projectId: ids.lostQueued, requestId: null }],
      ['provision', { userId: OWNER, projectId: ids.failedJob, requestId: null }],
      ['deprovision', { userId: OWNER, projectId: ids.lostDelete, requestId: null }],
    ]);
    const again = await fx.reconcile.process();
    assert.deepEqual([again.provisionRequeued, again.deprovisionRequeued], [[], []], 'a re-driven job counts as busy');
  });

  it("renews a running project's tools token past half its lifetime, rewriting the file and revoking the old one", async () => {
    fx.projects.add({ id: LIVE });
    await fx.provision.process(projectJob(LIVE));
    const file = join(fx.secretsRoot, LIVE, 'project-token');
    const first = readFileSync(file, 'utf8');
    assert.deepEqual((await fx.reconcile.process()).toolsTokensRenewed, [], 'a fresh token is kept');
    assert.equal(readFileSync(file, 'utf8'), first);

    fx.projects.toolsTokens[0]!.expiresAt = new Date(Date.now() + (fx.config.TOOLS_TOKEN_TTL_S * 1000) / 2 - 1000);
    assert.deepEqual((await fx.reconcile.process()).toolsTokensRenewed, [LIVE]);
    const second = readFileSync(file, 'utf8');
    assert.notEqual(second, first);
    assert.ok(second.startsWith(fx.projects.toolsTokens[1]!.prefix));
    assert.deepEqual(fx.projects.toolsTokens.map((t) => t.revoked), [true, false], 'one valid token at a time');
    assert.equal(statSync(file).mode & 0o777, 0o400);

    // A lost credential file is rewritten too (e.g. after a master key rotation changed it).
    unlinkSync(join(fx.secretsRoot, LIVE, 'api-credential'));
    await fx.reconcile.process();
    assert.equal(readFileSync(join(fx.secretsRoot, LIVE, 'api-credential'), 'utf8'), fx.toolsCredential(LIVE));
  });

  it('re-drives a running project whose job ran out of stall retries, so its running state is announced', async () => {
    const unannounced = 'c3c3c3c3-0000-4000-8000-000000000001';
    const announced = 'c3c3c3c3-0000-4000-8000-000000000002';
    fx.projects.add({ id: unannounced, status: 'running', updatedAt: LONG_AGO });
    fx.queue.states.set(`provision-${unannounced}`, 'failed');
    fx.projects.add({ id: announced, status: 'running', updatedAt: LONG_AGO });
    fx.queue.states.set(`provision-${announced}`, 'completed');

    assert.deepEqual((await fx.reconcile.process()).provisionRequeued, [unannounced]);
    const job = fx.queue.enqueued.at(-1);
    assert.deepEqual(job, { action: 'provision', data: { userId: OWNER, projectId: unannounced, requestId: null } });
    assert.equal(await fx.provision.process(projectJob(unannounced)), 'already-running');
    assert.deepEqual(fx.published.at(-1), { userId: OWNER, projectId: unannounced, status: 'running', step: 'ready', progress: 100 });
  });

  it('releases the lease of a project failed longer than the grace, after removing its leftovers, and says so', async () => {
    await setup({ FAILED_LEASE_GRACE_MS: '60000' });
    const old = 'd4d4d4d4-0000-4000-8000-000000000001';
    const recent = 'd4d4d4d4-0000-4000-8000-000000000002';
    const running = 'd4d4d4d4-0000-4000-8000-000000000003';
    fx.projects.add({ id: old, status: 'failed', subnetIndex: 9, progressStep: 'vm', progress: 40, lastError: "the project's machine image is not available on this platform", updatedAt: LONG_AGO });
    fx.projects.add({ id: recent, status: 'failed', subnetIndex: 10, lastError: 'x' });
    fx.projects.add({ id: running, status: 'running', subnetIndex: 11, updatedAt: LONG_AGO });
    await orphan(old, 9); // a teardown after the failure that did not finish

    const report = await fx.reconcile.process();
    assert.deepEqual(report.leasesReleased, [old]);
    assert.equal(await objectsOf(old), 0, 'the network holding the subnet is gone before the lease is');
    assert.equal(existsSync(join(fx.config.SHARE_ROOT, old)), false);
    const released = await fx.projects.get(old);
    assert.equal(released?.subnetIndex, null);
    assert.equal(released?.status, 'failed');
    assert.equal(released?.lastError, `the project's machine image is not available on this platform. ${LEASE_RELEASED_NOTE}`);
    assert.deepEqual(fx.published.at(-1), { userId: OWNER, projectId: old, status: 'failed', step: 'vm', progress: 40, error: released?.lastError });
    assert.deepEqual([(await fx.projects.get(recent))?.subnetIndex, (await fx.projects.get(running))?.subnetIndex], [10, 11]);
    assert.deepEqual((await fx.reconcile.process()).leasesReleased, [], 'released once');

    // Nothing breaks for a failed project without a lease: a stray provision job leaves it as it is, delete works.
    assert.equal(await fx.provision.process(projectJob(old)), 'lease-released');
    assert.equal((await fx.projects.get(old))?.lastError, released?.lastError);
    fx.projects.markDeleting(old);
    assert.equal(await fx.deprovision.process(projectJob(old)), 'deleted');
    assert.equal((await fx.projects.get(old))?.status, 'deleted');
  });
});
