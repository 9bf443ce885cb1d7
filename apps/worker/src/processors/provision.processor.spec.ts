import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { containerName, networkName, projectSelector, RuntimeError, RuntimeErrorCode } from '@pantheon/runtime';
import { BACKEND, OWNER, projectJob, WorkerFixture, workerFixture } from '../worker.fixture';

const P = '0b9f1c7e-4d6a-4f1e-9a51-1f2e3d4c5b6a';
const STRANGER = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';

describe('ProvisionProcessor', () => {
  let fx: WorkerFixture;
  beforeEach(async () => {
    fx = await workerFixture();
  });
  afterEach(() => fx.close());
  const rebuild = async (env: Record<string, string>) => {
    fx.close();
    fx = await workerFixture(env);
  };

  /** The VM's image disappears between the pull check and the create (e.g. pruned by an operator). */
  const vmImageVanishes = () => {
    const ensure = fx.engine.ensureContainer.bind(fx.engine);
    fx.engine.ensureContainer = async (spec) => {
      if (spec.name === containerName('vm', P)) throw new RuntimeError(RuntimeErrorCode.IMAGE_NOT_FOUND, `image ${spec.image} is not present`);
      return ensure(spec);
    };
  };
  const steps = () => fx.published.map((e) => `${e.status}/${e.step}/${e.progress}`);
  const leftovers = async () => {
    const { containers, networks } = await fx.engine.listByLabel(projectSelector(P));
    return [...containers, ...networks].map((o) => o.name).sort();
  };

  it('builds network → share → VM → tools → ready in order, announcing each step, then marks the project running', async () => {
    fx.projects.add({ id: P });
    assert.equal(await fx.provision.process(projectJob(P)), 'running');

    assert.deepEqual(steps(), [
      'provisioning/network/0', 'provisioning/network/20', 'provisioning/share/40', 'provisioning/vm/60',
      'provisioning/tools/80', 'running/ready/100',
    ]);
    assert.deepEqual(fx.calls, [
      `ensureImage ${fx.config.VM_IMAGE}`,
      `ensureImage ${fx.config.SHARE_IMAGE}`,
      `ensureImage ${fx.config.TOOLS_IMAGE}`,
      `ensureNetwork ${networkName(P)}`,
      `ensureContainer ${containerName('share', P)}`,
      `ensureContainer ${containerName('vm', P)}`,
      `inspectNetwork ${fx.config.TOOLS_NETWORK}`,
      `inspectContainer ${containerName('tools', P)}`,
      `ensureContainer ${containerName('tools', P)}`,
      `connectNetwork ${BACKEND} ${networkName(P)}`,
      `connectNetwork ${BACKEND} ${fx.config.TOOLS_NETWORK}`,
      `inspectContainer ${containerName('tools', P)}`,
    ]);
    const row = await fx.projects.get(P);
    assert.deepEqual([row?.status, row?.progressStep, row?.progress, row?.attempts, row?.lastError], ['running', 'ready', 100, 1, null]);
    assert.equal(fx.published.every((e) => e.userId === OWNER && e.projectId === P), true);

    const tools = await fx.engine.inspectContainer(containerName('tools', P));
    assert.equal(tools?.networks[networkName(P)], '172.30.7.1');
    assert.deepEqual(Object.keys(tools?.networks ?? {}).sort(), [networkName(P), fx.config.TOOLS_NETWORK].sort(), 'not on the platform network');
    assert.deepEqual(fx.ready.urls, [`http://${tools?.networks[fx.config.TOOLS_NETWORK]}:8090/health`], 'readiness asked on the tools network');
    assert.deepEqual(fx.ready.credentials, [fx.toolsCredential(P)], 'with the credential');
    assert.equal((await fx.engine.inspectContainer(BACKEND))?.networks[networkName(P)], '172.30.7.3', 'backend joins at .3');
    assert.ok(fx.config.TOOLS_NETWORK in ((await fx.engine.inspectContainer(BACKEND))?.networks ?? {}), 'and the tools network');

    // The token and the credential are files (0400) in a folder mounted read-only, never in env.
    const dir = join(fx.secretsRoot, P);
    assert.deepEqual(tools?.mounts, [{ source: dir, target: '/run/pantheon', readOnly: true }]);
    const token = readFileSync(join(dir, 'project-token'), 'utf8');
    assert.ok(token.startsWith(fx.projects.toolsTokens[0]?.prefix ?? '?'));
    assert.equal(readFileSync(join(dir, 'api-credential'), 'utf8'), fx.toolsCredential(P));
    for (const f of ['project-token', 'api-credential', 'guest-agent-token']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o400, f);

    // The VM's own /oem: the agent and the same agent token the tools API presents, nothing else secret.
    const oem = join(fx.config.OEM_DIR, P);
    const vm = await fx.engine.inspectContainer(containerName('vm', P));
    assert.deepEqual(vm?.mounts.find((m) => m.target === '/oem'), { source: oem, target: '/oem', readOnly: true });
    assert.equal(readFileSync(join(oem, 'pantheon/agent-token'), 'utf8'), readFileSync(join(dir, 'guest-agent-token'), 'utf8'));
    assert.ok(existsSync(join(oem, 'install.bat')) && existsSync(join(oem, 'pantheon/agent/apps/guest-agent/src/main.js')));
    assert.ok(readFileSync(join(dir, 'guest-agent-token'), 'utf8').length >= 40);
    assert.ok(!JSON.stringify(tools).includes(token) && !JSON.stringify(tools).includes(fx.toolsCredential(P)), 'not in the container');
    assert.ok(Math.abs((fx.projects.toolsTokens[0]?.expiresAt.getTime() ?? 0) - (Date.now() + fx.config.TOOLS_TOKEN_TTL_S * 1000)) < 60_000);
    assert.equal(existsSync(join(fx.config.SHARE_ROOT, P, 'README.txt')), true);
  });

  it('rethrows a failure on a non-last attempt and keeps the steps already built for the retry', async () => {
    vmImageVanishes();
    fx.projects.add({ id: P });
    await assert.rejects(
      fx.provision.process(projectJob(P, { attempt: 1, attempts: 3 })),
      (err: unknown) => err instanceof RuntimeError && err.code === RuntimeErrorCode.IMAGE_NOT_FOUND,
    );
    const row = await fx.projects.get(P);
    assert.deepEqual([row?.status, row?.progressStep, row?.progress, row?.lastError], ['provisioning', 'share', 40, null]);
    assert.equal(fx.published.some((e) => e.status === 'failed'), false);
    assert.deepEqual(await leftovers(), [containerName('share', P), networkName(P)].sort());
  });

  it('converges on a re-run: nothing is created twice and the tools token is kept', async () => {
    fx.projects.add({ id: P });
    fx.ready.answers.push({ ok: false, reason: 'HTTP 503' });
    await assert.rejects(fx.provision.process(projectJob(P, { attempt: 1 })), /did not become ready/);
    const before = (await fx.engine.listByLabel(projectSelector(P))).containers.map((c) => c.id).sort();

    assert.equal(await fx.provision.process(projectJob(P, { attempt: 2 })), 'running');
    assert.deepEqual((await fx.engine.listByLabel(projectSelector(P))).containers.map((c) => c.id).sort(), before);
    assert.equal(fx.projects.toolsTokens.length, 1, 'the running tools container keeps its token');
    assert.equal(fx.calls.filter((c) => c.startsWith('connectNetwork')).length, 4, 'the backend attaches are re-checked, not duplicated');
    assert.equal((await fx.projects.get(P))?.attempts, 2);
    assert.equal(steps().at(-1), 'running/ready/100');
  });

  it('pulls an absent image first, announcing a pulling step with its percentage, and none for present images', async () => {
    await rebuild({ VM_IMAGE: 'registry.example/windows:pull-me' });
    fx.engine.addPullableImage('registry.example/windows:pull-me');
    fx.projects.add({ id: P });
    assert.equal(await fx.provision.process(projectJob(P)), 'running');
    const pulls = fx.published.filter((e) => e.step === 'pulling');
    assert.deepEqual(
      pulls.map((e) => [e.status, e.pull?.image, e.pull?.percent]),
      [0, 50, 99, 100].map((p) => ['provisioning', 'registry.example/windows:pull-me', p]),
    );
    assert.deepEqual(steps().slice(0, 2), ['provisioning/network/0', 'provisioning/pulling/0'], 'pulling comes before the network');
    assert.equal(steps().at(-1), 'running/ready/100');
    assert.equal((await fx.engine.ensureImage('registry.example/windows:pull-me')).pulled, false, 'the image is now present');
  });

  it('fails the project with a reason the owner understands when an image cannot be pulled', async () => {
    await rebuild({ VM_IMAGE: 'registry.example/windows:missing' });
    fx.projects.add({ id: P });
    assert.equal(await fx.provision.process(projectJob(P, { attempt: 3, attempts: 3 })), 'failed');
    const reason = 'the image registry.example/windows:missing could not be downloaded: the registry has no such image';
    assert.equal((await fx.projects.get(P))?.lastError, reason);
    assert.equal(fx.published.at(-1)?.error, reason);
    assert.deepEqual(await leftovers(), [], 'nothing was built');
  });

  it('on the last attempt removes everything it built and marks the project failed with a reason for the user', async () => {
    vmImageVanishes();
    fx.projects.add({ id: P });
    assert.equal(await fx.provision.process(projectJob(P, { attempt: 3, attempts: 3 })), 'failed');

    assert.deepEqual(await leftovers(), []);
    assert.equal(existsSync(join(fx.config.SHARE_ROOT, P)), false);
    const reason = "the project's machine image is not available on this platform";
    const row = await fx.projects.get(P);
    assert.deepEqual([row?.status, row?.lastError], ['failed', reason]);
    assert.deepEqual(fx.published.at(-1), { userId: OWNER, projectId: P, status: 'failed', step: 'share', progress: 40, error: reason });
  });

  it('a VM that never gets ready fails the last attempt with the health reason and detaches the backend', async () => {
    fx.projects.add({ id: P });
    fx.ready.answers.push({ ok: false, reason: 'HTTP 503' });
    assert.equal(await fx.provision.process(projectJob(P, { attempt: 3 })), 'failed');
    assert.equal((await fx.projects.get(P))?.lastError, 'the VM did not become ready within 180 s (tools API health: HTTP 503)');
    assert.deepEqual(await leftovers(), []);
    assert.deepEqual(Object.keys((await fx.engine.inspectContainer(BACKEND))?.networks ?? {}).sort(), [fx.config.PLATFORM_NETWORK, fx.config.TOOLS_NETWORK].sort());
    assert.equal(fx.published.at(-1)?.step, 'tools');
    assert.deepEqual(fx.projects.toolsTokens.filter((t) => t.projectId === P && !t.revoked), [], "the failed project's tools token is revoked");
    assert.equal(existsSync(join(fx.secretsRoot, P)), false, 'and its file removed');
  });

  it('as a container, probes the tools API over the project network at .4 and leaves it again (ICC is off on the tools network)', async () => {
    await rebuild({ WORKER_CONTAINER: 'pantheon-worker-spec' });
    await fx.engine.ensureContainer({
      name: 'pantheon-worker-spec', image: 'pantheon/backend:spec', env: {}, labels: {},
      network: { name: fx.config.PLATFORM_NETWORK, ip: fx.config.PLATFORM_SUBNET.replace(/\.0\/24$/, '.7') },
    });
    fx.projects.add({ id: P });
    assert.equal(await fx.provision.process(projectJob(P)), 'running');
    assert.deepEqual(fx.ready.urls, ['http://172.30.7.1:8090/health']);
    assert.deepEqual(fx.calls.slice(-2), [`connectNetwork pantheon-worker-spec ${networkName(P)}`, `disconnectNetwork pantheon-worker-spec ${networkName(P)}`]);
    assert.deepEqual(Object.keys((await fx.engine.inspectContainer('pantheon-worker-spec'))?.networks ?? {}), [fx.config.PLATFORM_NETWORK]);
  });

  it('never attaches a tools container to a tools network whose containers can reach each other', async () => {
    await rebuild({ TOOLS_NETWORK: 'pantheon-tools-open', TOOLS_SUBNET: '10.0.9.0/24' });
    await fx.engine.removeNetwork('pantheon-tools-open'); // the fixture made it as designed; make it open instead
    await fx.engine.ensureNetwork({ name: 'pantheon-tools-open', subnet: '10.0.9.0/24', gateway: '10.0.9.1', labels: {} });
    fx.projects.add({ id: P });
    assert.equal(await fx.provision.process(projectJob(P, { attempt: 3 })), 'failed');
    assert.match((await fx.projects.get(P))?.lastError ?? '', /enable_icc must be false/);
    assert.equal(await fx.engine.inspectContainer(containerName('tools', P)), null);
  });

  it('rebuilds nothing for a forged job naming a failed project (the payload is re-checked against the row)', async () => {
    fx.projects.add({ id: P, status: 'failed', lastError: 'x' });
    assert.equal(await fx.provision.process(projectJob(P)), 'not-provisionable');
    assert.deepEqual([fx.calls, fx.published, fx.projects.toolsTokens], [[], [], []]);
    assert.equal((await fx.projects.get(P))?.status, 'failed');
  });

  it('never shows internal errors to the user, and fails a project without a subnet plainly', async () => {
    fx.projects.add({ id: P });
    fx.projects.issueToolsToken = async () => {
      throw new Error('connection terminated: password authentication failed');
    };
    assert.equal(await fx.provision.process(projectJob(P, { attempt: 3 })), 'failed');
    assert.equal((await fx.projects.get(P))?.lastError, 'internal error while provisioning (see worker logs)');

    const bare = '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';
    fx.projects.add({ id: bare, subnetIndex: null });
    assert.equal(await fx.provision.process(projectJob(bare, { attempt: 3 })), 'failed');
    assert.equal((await fx.projects.get(bare))?.lastError, 'the project has no network assigned');
  });

  it('stops quietly when the project is deleted during a step, leaving the rest to deprovision', async () => {
    fx.projects.add({ id: P });
    fx.ready.during = () => fx.projects.markDeleting(P);
    assert.equal(await fx.provision.process(projectJob(P, { attempt: 1 })), 'cancelled');
    assert.equal((await fx.projects.get(P))?.status, 'deleting', 'the deletion is never overwritten');
    assert.equal(steps().at(-1), 'provisioning/tools/80', 'no event after the DELETE');
  });

  it('acts only for the owner, skips deleting projects and re-announces a running one', async () => {
    fx.projects.add({ id: P });
    assert.equal(await fx.provision.process(projectJob(P, { userId: STRANGER })), 'missing');
    assert.equal(await fx.provision.process(projectJob(STRANGER)), 'missing');
    fx.projects.markDeleting(P);
    assert.equal(await fx.provision.process(projectJob(P)), 'cancelled');
    assert.deepEqual([fx.calls, fx.published, (await fx.projects.get(P))?.attempts], [[], [], 0]);

    const running = '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';
    fx.projects.add({ id: running, status: 'running' });
    assert.equal(await fx.provision.process(projectJob(running)), 'already-running');
    assert.deepEqual(fx.published, [{ userId: OWNER, projectId: running, status: 'running', step: 'ready', progress: 100 }]);
    assert.deepEqual(fx.calls, []);
  });
});
