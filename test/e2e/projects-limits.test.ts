import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { containerName } from '@pantheon/runtime';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { projectObjects, runtimeTestEnv, RuntimeTestEnv } from '../support/runtime-env';
import { eventually } from '../support/eventually';
import { spawnWorker, WorkerProcess } from '../support/worker';

const run = promisify(execFile);
/** Engines may report `CAP_NET_ADMIN` for `NET_ADMIN`. */
const caps = (list: unknown) => ((list as string[] | null) ?? []).map((c) => c.replace(/^CAP_/, ''));
const MIB = 1024 * 1024;

/** `docker inspect` of one container, as the operator would run it. */
async function dockerInspect(name: string): Promise<{ State: { Running: boolean }; HostConfig: Record<string, unknown> }> {
  const { stdout } = await run('docker', ['inspect', name]);
  return (JSON.parse(stdout) as { State: { Running: boolean }; HostConfig: Record<string, unknown> }[])[0];
}

/** Totals the capacity check counts (superuser session; the function returns aggregates only). */
async function platformUsage(admin: ReturnType<typeof adminPool>): Promise<{ projects: number; ram: number; cpus: number }> {
  const { rows } = await admin.query('select projects, ram_gb, cpu_cores from platform_project_usage()');
  return { projects: rows[0].projects, ram: Number(rows[0].ram_gb), cpus: Number(rows[0].cpu_cores) };
}

describe('projects: container limits and a shared folder the VM can write', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: WorkerProcess;
  let user: TestUser;
  let canaryDir: string;
  const admin = adminPool();
  let project: { id: string };

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('limits');
    const env = { ...rt.env, REDIS_PREFIX: `${process.env.REDIS_PREFIX}:limits`, VM_MEMORY_OVERHEAD_MB: '512' };
    api = await startTestApi(issuer, env);
    // A worker process: its log lines (the planted link, the released lease) are what these tests read.
    worker = spawnWorker(env);
    await worker.ready(20_000);
    user = await createUser(api, issuer, 'limits');
    canaryDir = mkdtempSync(join(tmpdir(), 'pantheon-canary-'));
  });
  after(async () => {
    await worker?.stop(10_000);
    await api?.close();
    await rt?.cleanup();
    await admin.query('delete from projects where owner_id = $1', [user?.id]).catch(() => undefined);
    if (canaryDir) rmSync(canaryDir, { recursive: true, force: true });
    await issuer?.stop();
    await admin.end();
  });

  it('runs every container with limits from the spec, cap_drop ALL, no-new-privileges and read-only roots', async () => {
    project = await createProject(api, user, { name: 'Limited', vm: { ram_gb: 3, cpu_cores: 2 } });
    await api.as(user).waitForProject(project.id, 'running', { logs: worker.logs });

    const vm = await dockerInspect(containerName('vm', project.id));
    const tools = await dockerInspect(containerName('tools', project.id));
    const share = await dockerInspect(containerName('share', project.id));
    for (const [role, c] of [['vm', vm], ['tools', tools], ['share', share]] as const) {
      assert.equal(c.State.Running, true, `${role} still runs under its limits`);
      assert.deepEqual(caps(c.HostConfig.CapDrop), ['ALL'], `${role} drops every capability`);
      assert.deepEqual(c.HostConfig.SecurityOpt, ['no-new-privileges:true'], role);
      assert.equal(c.HostConfig.MemorySwap, c.HostConfig.Memory, `${role}: no swap beyond the memory limit`);
    }
    assert.equal(vm.HostConfig.Memory, (3 * 1024 + 512) * MIB, 'the guest RAM plus the configured emulator overhead');
    assert.equal(vm.HostConfig.NanoCpus, 2_000_000_000);
    assert.equal(vm.HostConfig.PidsLimit, 2048);
    assert.deepEqual(caps(vm.HostConfig.CapAdd).sort(), rt.env.VM_CAP_ADD.split(',').sort(), 'only what VM_CAP_ADD names');
    assert.equal(vm.HostConfig.ReadonlyRootfs, false, "the VM image writes its own root");

    assert.deepEqual([tools.HostConfig.Memory, tools.HostConfig.NanoCpus, tools.HostConfig.PidsLimit], [256 * MIB, 500_000_000, 256]);
    assert.deepEqual([share.HostConfig.Memory, share.HostConfig.NanoCpus, share.HostConfig.PidsLimit], [128 * MIB, 250_000_000, 64]);
    for (const [role, c] of [['tools', tools], ['share', share]] as const) {
      assert.equal(c.HostConfig.ReadonlyRootfs, true, `${role} has a read-only root`);
      assert.deepEqual(caps(c.HostConfig.CapAdd), [], `${role} adds no capability`);
      assert.match(String((c.HostConfig.Tmpfs as Record<string, string>)['/tmp']), /noexec/, `${role} gets a scratch /tmp`);
    }
    // The read-only root holds for real: a write outside /tmp fails inside the running container.
    await assert.rejects(
      run('docker', ['exec', containerName('tools', project.id), '/usr/local/bin/node', '-e', "require('fs').writeFileSync('/app/x', 'x')"]),
      /EROFS|read-only/i,
    );
  });

  it('never writes through a README.txt symlink the VM planted, when provisioning runs again', async () => {
    const canary = join(canaryDir, 'canary.txt');
    const original = `host canary ${randomBytes(8).toString('hex')}\n`;
    writeFileSync(canary, original);
    // From inside the VM: /shared is its read-write mount of the project's folder. The target is a host path.
    await run('docker', [
      'exec', containerName('vm', project.id), '/usr/local/bin/node', '-e',
      `const fs = require('fs'); fs.rmSync('/shared/README.txt', { force: true }); fs.symlinkSync(${JSON.stringify(canary)}, '/shared/README.txt');`,
    ]);
    const readme = join(rt.shareRoot, project.id, 'README.txt');
    assert.equal(lstatSync(readme).isSymbolicLink(), true, 'the link is in place on the host side');

    // Make the project look stuck mid-build: the reconciler re-drives it and the whole build runs again.
    const seen = worker.logs.lines.length;
    await admin.query(`update projects set status = 'provisioning', updated_at = now() - interval '1 hour' where id = $1`, [project.id]);
    const finishedAgain = () => worker.logs.lines.slice(seen).some((l) => l.includes(project.id) && l.includes('provision finished'));
    await eventually(async () => (finishedAgain() ? true : undefined), 60_000, 're-driven provision finished');
    await api.as(user).waitForProject(project.id, 'running', { logs: worker.logs });

    assert.equal(readFileSync(canary, 'utf8'), original, 'the host file behind the link is unchanged');
    assert.equal(lstatSync(readme).isFile(), true, 'the planted link was replaced by a regular README');
    assert.match(readFileSync(readme, 'utf8'), /shared between your Pantheon project/);
    const handled = worker.logs.entries().find((e) => e.projectId === project.id && e.readme === 'replaced-link');
    assert.ok(handled, `the worker logged the planted link:\n${worker.logs.about(project.id)}`);
    assert.ok(!JSON.stringify(handled).includes(canaryDir), 'the log names no host path behind the link');
  });
});

describe('projects: platform capacity', () => {
  let issuer: OidcIssuerHandle;
  const apis: TestApi[] = [];
  const users: TestUser[] = [];
  const admin = adminPool();

  before(async () => {
    issuer = await startOidcIssuer();
  });
  after(async () => {
    for (const api of apis) await api.close();
    await admin.query('delete from projects where owner_id = any($1::uuid[])', [users.map((u) => u.id)]).catch(() => undefined);
    await issuer?.stop();
    await admin.end();
  });

  /** Two API replicas over the same database, Redis prefix of their own (no worker takes these jobs). */
  async function replicas(limits: Record<string, string>): Promise<[TestApi, TestApi]> {
    const env = { REDIS_PREFIX: `${process.env.REDIS_PREFIX}:capacity-${randomBytes(3).toString('hex')}`, PROJECTS_MAX_PER_USER: '10', ...limits };
    const pair: [TestApi, TestApi] = [await startTestApi(issuer, env), await startTestApi(issuer, env)];
    apis.push(...pair);
    return pair;
  }

  it('admits exactly up to PLATFORM_MAX_PROJECTS across replicas and users; the rest get 503 PLATFORM_AT_CAPACITY', async () => {
    const base = await platformUsage(admin);
    const [a, b] = await replicas({ PLATFORM_MAX_PROJECTS: String(base.projects + 3), PLATFORM_MAX_RAM_GB: '0', PLATFORM_MAX_CPU_CORES: '0' });
    const three = [await createUser(a, issuer, 'cap-a'), await createUser(a, issuer, 'cap-b'), await createUser(a, issuer, 'cap-c')];
    users.push(...three);
    const attempts = three.flatMap((u, i) => [0, 1, 2].map((j) => ({ u, api: (i + j) % 2 === 0 ? a : b, name: `cap-${i}-${j}` })));
    const results = await Promise.all(attempts.map(({ u, api, name }) => api.as(u).post('/api/projects').send({ name, vm: { ram_gb: 2, cpu_cores: 1 } })));

    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 503);
    assert.equal(accepted.length, 3, results.map((r) => `${r.status} ${r.body.message ?? ''}`).join('\n'));
    assert.equal(refused.length, 6);
    for (const r of refused) {
      assert.equal(r.body.code, 'PLATFORM_AT_CAPACITY');
      assert.match(r.body.message, /platform is at capacity.*projects/i);
      assert.equal(r.body.error, 'Service Unavailable');
    }
    // Nothing was created for a refused request: no row, no lease, no audit entry.
    const ids = users.map((u) => u.id);
    const rows = await admin.query('select count(*)::int as n from projects where owner_id = any($1::uuid[])', [ids]);
    const leases = await admin.query('select count(*)::int as n from subnet_leases l join projects p on p.id = l.project_id where p.owner_id = any($1::uuid[])', [ids]);
    const audits = await admin.query(`select count(*)::int as n from audit_log where user_id = any($1::uuid[]) and action = 'project.created'`, [ids]);
    assert.deepEqual([rows.rows[0].n, leases.rows[0].n, audits.rows[0].n], [3, 3, 3]);
    assert.equal((await platformUsage(admin)).projects, base.projects + 3);

    // Deleting one frees room (deleting projects still hold resources until the worker finishes).
    const victim = accepted[0].body as { id: string; name: string };
    await admin.query(`update projects set status = 'deleted', deleted_at = now(), subnet_index = null where id = $1`, [victim.id]);
    await admin.query('delete from subnet_leases where project_id = $1', [victim.id]);
    const owner = users.find((u) => attempts.some((x) => x.u === u && x.name === victim.name))!;
    await a.as(owner).post('/api/projects').send({ name: 'after-room', vm: { ram_gb: 2, cpu_cores: 1 } }).expect(202);
  });

  it('refuses a VM whose RAM or CPUs would exceed the platform totals, naming the resource, and admits a smaller one', async () => {
    const base = await platformUsage(admin);
    const [api] = await replicas({ PLATFORM_MAX_PROJECTS: '0', PLATFORM_MAX_RAM_GB: String(base.ram + 10), PLATFORM_MAX_CPU_CORES: String(base.cpus + 5) });
    const u = await createUser(api, issuer, 'cap-ram');
    users.push(u);
    await createProject(api, u, { name: 'big', vm: { ram_gb: 8, cpu_cores: 2 } });

    const ram = await api.as(u).post('/api/projects').send({ name: 'too-much-ram', vm: { ram_gb: 4, cpu_cores: 1 } }).expect(503);
    assert.equal(ram.body.code, 'PLATFORM_AT_CAPACITY');
    assert.match(ram.body.message, /RAM for a 4 GB VM.*smaller VM/);
    const cpus = await api.as(u).post('/api/projects').send({ name: 'too-many-cpus', vm: { ram_gb: 2, cpu_cores: 4 } }).expect(503);
    assert.match(cpus.body.message, /CPUs for a 4-core VM/);
    assert.ok(!/\d+ of \d+|in use/.test(ram.body.message + cpus.body.message), 'other tenants\' totals are not disclosed');

    await createProject(api, u, { name: 'fits', vm: { ram_gb: 2, cpu_cores: 3 } });
    const { rows } = await admin.query('select count(*)::int as n from projects where owner_id = $1', [u.id]);
    assert.equal(rows[0].n, 2);
  });
});

describe('projects: a failed project releases its subnet lease after the grace period', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: WorkerProcess;
  let user: TestUser;
  const admin = adminPool();
  const GRACE_MS = 6000;

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('lease');
    const env = {
      ...rt.env,
      // Every build fails: the image is not here and its registry (port 1 on loopback) cannot be reached.
      VM_IMAGE: '127.0.0.1:1/pantheon/no-such-image:missing',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:lease`,
      FAILED_LEASE_GRACE_MS: String(GRACE_MS),
      RECONCILE_INTERVAL_MS: '2000',
      // No re-driving of other suites' leftover projects: this worker would fail them and free their leases,
      // changing the totals the capacity assertion counts on.
      STUCK_AFTER_MS: String(3600_000),
    };
    // A worker process: its log lines (the planted link, the released lease) are what these tests read.
    worker = spawnWorker(env);
    await worker.ready(20_000);
    // Its short grace period also frees the leases of failed projects earlier suites left: the totals only
    // stand still once none is left, so the base is read after that.
    await eventually(async () => {
      const { rows } = await admin.query(
        "select count(*)::int as n from projects where deleted_at is null and status = 'failed' and subnet_index is not null",
      );
      return rows[0].n === 0 ? true : undefined;
    }, GRACE_MS + 30_000, 'leftover failed projects released their leases');
    const base = await platformUsage(admin);
    // Room for exactly one more project: a failed one holds it until its lease is released.
    api = await startTestApi(issuer, { ...env, PLATFORM_MAX_PROJECTS: String(base.projects + 1) });
    user = await createUser(api, issuer, 'lease');
  });
  after(async () => {
    await worker?.stop(10_000);
    await api?.close();
    await rt?.cleanup();
    await admin.query('delete from projects where owner_id = $1', [user?.id]).catch(() => undefined);
    await issuer?.stop();
    await admin.end();
  });

  it('frees the lease, says so, stops counting against capacity, and the subnet is reused', async () => {
    const created = await createProject(api, user, { name: 'Fails' });
    const subnet = created.network.subnet as string;
    const failed = await api.as(user).waitForProject(created.id, 'failed', { logs: worker.logs });
    assert.equal(failed.network?.subnet, subnet, 'within the grace period the lease is kept');
    const full = await api.as(user).post('/api/projects').send({ name: 'Waits' }).expect(503);
    assert.equal(full.body.code, 'PLATFORM_AT_CAPACITY', 'a failed project still holding its lease counts');

    const released = await eventually(async () => {
      const res = await api.as(user).get(`/api/projects/${created.id}`).expect(200);
      return res.body.network === null ? res.body : undefined;
    }, GRACE_MS + 30_000, 'lease released');
    assert.equal(released.status, 'failed');
    assert.match(released.last_error, /could not be downloaded.*network was released/i, released.last_error);
    const lease = await admin.query('select count(*)::int as n from subnet_leases where project_id = $1', [created.id]);
    assert.equal(lease.rows[0].n, 0);
    assert.ok(worker.logs.entries().some((e) => e.projectId === created.id && e.msg === 'released the subnet lease of a failed project'));
    assert.deepEqual(await projectObjects(created.id), { containers: [], networks: [] });

    // The freed subnet (the lowest free one) goes to the next project, which the capacity now admits.
    const next = await createProject(api, user, { name: 'Next' });
    assert.equal(next.network.subnet, subnet, 'the released subnet is reused');

    // A failed project without a lease can still be deleted.
    await api.as(user).delete(`/api/projects/${created.id}?confirm=Fails`).expect(202);
    await eventually(async () => ((await api.as(user).get(`/api/projects/${created.id}`)).status === 404 ? true : undefined), 30_000, 'deleted');
  });
});
