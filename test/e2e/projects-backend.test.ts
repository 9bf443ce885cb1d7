import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DockerRuntime, LABEL_KEYS, MANAGED_LABEL_VALUE, networkName } from '@pantheon/runtime';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { runtimeTestEnv, RuntimeTestEnv, testImageTag } from '../support/runtime-env';
import { eventually } from '../support/eventually';
import { startTestWorker, TestWorker } from '../support/worker';

/** When the backend runs in a container, each project network gets it at .3, and deletion detaches it. */
describe('projects: the backend container joins project networks', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: TestWorker;
  let user: TestUser;
  const docker = new DockerRuntime();
  const admin = adminPool();
  let backend: string;

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('backend');
    backend = `pantheon-backend-${rt.label}`.slice(0, 60);
    // A stand-in for the API's own container, on a network of its own (as it would be on the platform network).
    await docker.ensureNetwork({
      name: `${backend}-net`,
      subnet: '10.251.77.0/24',
      gateway: '10.251.77.1',
      labels: { [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE, [LABEL_KEYS.testRun]: rt.label },
    });
    await docker.ensureContainer({
      name: backend,
      image: `pantheon/vm-standin:${testImageTag()}`,
      env: {},
      labels: { [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE, [LABEL_KEYS.testRun]: rt.label },
      network: { name: `${backend}-net`, ip: '10.251.77.2' },
    });
    const env = { ...rt.env, BACKEND_CONTAINER: backend, REDIS_PREFIX: `${process.env.REDIS_PREFIX}:backend` };
    api = await startTestApi(issuer, env);
    worker = await startTestWorker(env);
    user = await createUser(api, issuer, 'backend');
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await rt?.cleanup();
    await admin.query('delete from projects where owner_id = $1', [user?.id]).catch(() => undefined);
    await issuer?.stop();
    await admin.end();
  });

  it('attaches the backend at .3 while the project lives and detaches it on delete', async () => {
    const created = await createProject(api, user, { name: 'Joined' });
    const id = created.id as string;
    await api.as(user).waitForProject(id, 'running', { logs: worker.logs });
    const net = networkName(id);
    const attached = await docker.inspectContainer(backend);
    assert.equal(attached?.networks[net], created.network.subnet.replace(/\.0\/24$/, '.3'));

    await api.as(user).delete(`/api/projects/${id}?confirm=Joined`).expect(202);
    await eventually(async () => ((await docker.inspectNetwork(net)) === null ? true : undefined), 30_000, 'project network removed');
    const detached = await docker.inspectContainer(backend);
    assert.equal(detached?.networks[net], undefined, 'the backend is no longer on the deleted network');
    assert.equal(detached?.state, 'running', 'the backend itself is untouched');
  });
});
