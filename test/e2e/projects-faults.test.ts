import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import { bullPrefix, ProjectEvent, ProjectEventReplay, projectJobId, QUEUES } from '@pantheon/events';
import { containerName, DockerRuntime, LABEL_KEYS, networkName, testRunSelector } from '@pantheon/runtime';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool, requiredEnv } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { runtimeTestEnv, RuntimeTestEnv } from '../support/runtime-env';
import { eventually } from '../support/eventually';
import { spawnWorker, WorkerProcess } from '../support/worker';

/**
 * Crash safety of provisioning: the real worker process is SIGKILLed ≥ 20 times at random moments while it
 * builds and tears down projects, then one worker runs undisturbed. Whatever step a kill interrupted, the
 * system must converge (stalled-job recovery + the reconciler): every project running or failed with a
 * reason, deleted ones gone, and Docker holding exactly what the live projects need, nothing else.
 */

const MIN_KILLS = 20;
const MAX_KILLS = 24;
const KILL_LOOP_BUDGET_MS = 120_000;
const CONVERGE_BUDGET_MS = 120_000;
const WORKER_READY_MS = 15_000;
/** How long a ready worker may take to pick up work (a killed worker's jobs come back once their lock expires). */
const TAKE_JOB_MS = 4_000;
/** About six live at the end (two are deleted mid-way). */
const TOTAL_PROJECTS = 8;
/** Builds kept queued or under way, so kills land mid-build rather than on idle workers. */
const IN_FLIGHT = 2;
/** Iterations at which one project (preferably mid-build) is deleted, so deprovision gets killed too. */
const DELETE_AT = new Set([9, 17]);
/** Provision progress recorded in the DB → the step under way (the DB stores the last completed one). */
const STEP_UNDER_WAY: Record<number, string> = { 0: 'network', 20: 'share', 40: 'vm', 60: 'tools', 80: 'ready', 100: 'finishing' };
const BUILD_STEPS = new Set(['network', 'share', 'vm', 'tools', 'ready']);

/** mulberry32: a seeded PRNG, so a failing schedule can be replayed with FAULTS_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface TrackedProject {
  id: string;
  name: string;
  owner: TestUser;
  deleted: boolean;
}

describe('projects: the worker is SIGKILLed at random points, repeatedly', () => {
  const seed = Number(process.env.FAULTS_SEED) || Date.now();
  const random = prng(seed);
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));

  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let env: Record<string, string>;
  let api: TestApi;
  let users: TestUser[];
  let redis: Redis;
  let events: Redis;
  let finalWorker: WorkerProcess | undefined;
  const spawned: WorkerProcess[] = [];
  const docker = new DockerRuntime();
  const admin = adminPool();
  const projects: TrackedProject[] = [];
  /** Where each kill landed: 'boot', 'idle' or the step(s) of the jobs the worker held. */
  const landings: string[][] = [];
  /** Any moment a deleted project was seen in a state other than deleting/deleted. */
  const resurrections = new Set<string>();
  /** The event a client keeps for the project: the one with the highest seq in its owner's stream. */
  const lastEvent = async (p: TrackedProject): Promise<ProjectEvent | undefined> =>
    (await new ProjectEventReplay(events, { redisPrefix: env.REDIS_PREFIX }).readSince(p.owner.id, 0, p.id)).at(-1);
  let kills = 0;
  const started = Date.now();

  const live = () => projects.filter((p) => !p.deleted);

  async function create(owner: TestUser): Promise<void> {
    const name = `fault-${projects.length}`;
    const { id } = await createProject(api, owner, { name });
    projects.push({ id, name, owner, deleted: false });
  }

  type Locks = Map<string, string>;

  /** BullMQ job locks of our projects' jobs: `<action>:<projectId>` → lock token. */
  async function jobLocks(): Promise<Locks> {
    const keys = projects.flatMap((p) => (['provision', 'deprovision'] as const).map((action) => ({ action, id: p.id })));
    if (keys.length === 0) return new Map();
    const prefix = bullPrefix(env.REDIS_PREFIX);
    const tokens = await redis.mget(keys.map(({ action, id }) => `${prefix}:${QUEUES[action]}:${projectJobId(action, id)}:lock`));
    return new Map(keys.flatMap(({ action, id }, i) => (tokens[i] ? [[`${action}:${id}`, tokens[i]] as [string, string]] : [])));
  }

  /**
   * Jobs the current worker holds: locked now under a token other than before it was spawned (a killed
   * worker's lock lingers until it expires, so a lock alone does not tell whose it is).
   */
  async function heldJobs(before: Locks): Promise<{ provision: string[]; deprovision: string[] }> {
    const held = { provision: [] as string[], deprovision: [] as string[] };
    for (const [key, token] of await jobLocks()) {
      if (before.get(key) === token) continue;
      const [action, id] = key.split(':') as ['provision' | 'deprovision', string];
      held[action].push(id);
    }
    return held;
  }

  /** True once the current worker holds a job, or when there is nothing left for it to take. */
  async function workToDo(before: Locks): Promise<boolean> {
    const held = await heldJobs(before);
    if (held.provision.length + held.deprovision.length > 0) return true;
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from projects where id = any($1) and status in ('queued', 'provisioning', 'deleting')`,
      [projects.map((p) => p.id)],
    );
    return rows[0].n === 0;
  }

  /** A deleted project may only be deleting, or deleted (and then gone for its owner). */
  async function checkDeletedStayDeleted(): Promise<void> {
    const ids = projects.filter((p) => p.deleted).map((p) => p.id);
    if (ids.length === 0) return;
    const { rows } = await admin.query<{ id: string; status: string; deleted: boolean }>(
      'select id, status, deleted_at is not null as deleted from projects where id = any($1)',
      [ids],
    );
    for (const r of rows) {
      const ok = (r.status === 'deleting' && !r.deleted) || (r.status === 'deleted' && r.deleted);
      if (!ok) resurrections.add(`${r.id}: status=${r.status} deleted_at ${r.deleted ? 'set' : 'null'}`);
    }
  }

  async function deleteOne(locksBefore: Locks): Promise<void> {
    const candidates = live();
    const { provision } = await heldJobs(locksBefore);
    // Prefer a project whose build is under way, so the deletion races the provision job.
    const target = candidates.find((p) => provision.includes(p.id)) ?? candidates[0];
    const res = await api.as(target.owner).delete(`/api/projects/${target.id}?confirm=${encodeURIComponent(target.name)}`).expect(202);
    assert.equal(res.body.status, 'deleting');
    target.deleted = true;
  }

  /** One line for the report, printed whether or not the assertions held. */
  async function summary(): Promise<string> {
    const { rows } = await admin.query<{ status: string }>('select status from projects where id = any($1)', [projects.map((p) => p.id)]);
    const outcome = (status: string) => rows.filter((r) => r.status === status).length;
    const tally = (steps: string[]) => {
      const n: Record<string, number> = {};
      for (const step of steps) n[step] = (n[step] ?? 0) + 1;
      return Object.entries(n).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    };
    const cut = landings.flat().filter((step) => step !== 'idle' && step !== 'boot');
    const logs = [...spawned, ...(finalWorker ? [finalWorker] : [])].flatMap((w) => w.logs.entries());
    const reconciled = logs.filter((l) => l.msg === 'reconciled');
    const sum = (key: string) => reconciled.reduce((n, l) => n + ((l[key] as unknown[] | undefined)?.length ?? 0), 0);
    const other = rows.length - outcome('running') - outcome('failed') - outcome('deleted');
    return (
      `faults summary: seed ${seed}; ${kills} kills, jobs cut short at: ${tally(cut)}; ` +
      `kills with no job under way: ${tally(landings.flat().filter((step) => step === 'idle' || step === 'boot'))}; ` +
      `${projects.length} projects: ${outcome('running')} running, ${outcome('failed')} failed, ${outcome('deleted')} deleted` +
      `${other ? `, ${other} unsettled` : ''}; ${logs.filter((l) => l.msg === 'provision started').length} provision runs; ` +
      `reconciler re-drove ${sum('provisionRequeued')} builds + ${sum('deprovisionRequeued')} deletions, removed orphans of ${sum('orphansRemoved')}; ` +
      `elapsed ${((Date.now() - started) / 1000).toFixed(1)} s`
    );
  }

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('faults');
    // Own Redis prefix: no other suite's worker takes these jobs, and this suite's workers take no others.
    env = {
      ...rt.env,
      REDIS_PREFIX: `${requiredEnv('REDIS_PREFIX')}:faults-${randomBytes(3).toString('hex')}`,
      PROJECTS_MAX_PER_USER: '10',
      // A killed worker's jobs come back after about two lock periods: shorter locks fit more kills mid-job
      // into the time budget (renewed every 750 ms, still far longer than any single engine call stalls).
      JOB_LOCK_MS: '1500',
    };
    api = await startTestApi(issuer, env);
    users = [await createUser(api, issuer, 'fault-a'), await createUser(api, issuer, 'fault-b')];
    redis = new Redis(requiredEnv('REDIS_URL'));
    events = new Redis(requiredEnv('REDIS_URL'), { keyPrefix: `${env.REDIS_PREFIX}:` });
  });

  after(async () => {
    // SIGKILL anything still running first: a live worker would keep creating objects during the cleanup.
    await Promise.all([...spawned, ...(finalWorker ? [finalWorker] : [])].map((w) => w.kill('SIGKILL')));
    if (projects.length) console.log(await summary().catch((err: Error) => `faults summary unavailable: ${err.message}`));
    await rt?.cleanup();
    if (projects.length) await admin.query('delete from projects where id = any($1)', [projects.map((p) => p.id)]);
    redis?.disconnect();
    events?.disconnect();
    await api?.close();
    await issuer?.stop();
    await admin.end();
  });

  it(`survives ${MIN_KILLS}+ SIGKILLs during provision and deprovision, then converges with one worker`, async () => {
    const loopDeadline = Date.now() + KILL_LOOP_BUDGET_MS;
    for (let i = 0; i < MAX_KILLS && Date.now() < loopDeadline; i++) {
      // Created a few at a time as earlier ones finish, so builds stay under way across many kills.
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int as n from projects where id = any($1) and status in ('queued', 'provisioning')`,
        [projects.map((p) => p.id)],
      );
      for (let pending = rows[0].n; pending < IN_FLIGHT && projects.length < TOTAL_PROJECTS; pending++) {
        await create(users[projects.length % users.length]);
      }

      const locksBefore = await jobLocks();
      const w = spawnWorker(env);
      spawned.push(w);
      // Every fifth kill counts from the spawn, so some land during boot (and the boot-time reconcile).
      if (i % 5 !== 4) {
        await w.ready(WORKER_READY_MS);
        // Count the delay from when it took a job, so the kill lands inside a step rather than on an idle worker.
        await eventually(async () => (await workToDo(locksBefore)) || undefined, TAKE_JOB_MS, 'a job', 25).catch(() => undefined);
      }
      let killAt = Date.now() + between(150, 1500);
      if (DELETE_AT.has(i)) {
        await deleteOne(locksBefore);
        // A teardown takes well under a second: kill soon after the DELETE to catch it under way.
        killAt = Date.now() + between(150, 600);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, killAt - Date.now())));

      const ready = w.isReady();
      const held = await heldJobs(locksBefore);
      await w.kill('SIGKILL');
      kills++;

      const landed: string[] = held.deprovision.map(() => 'deprovision');
      if (held.provision.length) {
        const { rows } = await admin.query<{ progress: number }>('select progress from projects where id = any($1)', [held.provision]);
        landed.push(...rows.map((r) => STEP_UNDER_WAY[r.progress] ?? `progress-${r.progress}`));
      }
      landings.push(landed.length ? landed : [ready ? 'idle' : 'boot']);
      await checkDeletedStayDeleted();
    }
    assert.ok(kills >= MIN_KILLS, `only ${kills} kills fit in the time budget`);
    assert.ok(landings.some((l) => l.some((s) => BUILD_STEPS.has(s))), 'at least one kill hit a build step');

    finalWorker = spawnWorker(env);
    await eventually(
      async () => {
        await checkDeletedStayDeleted();
        for (const p of projects) {
          const res = await api.as(p.owner).get(`/api/projects/${p.id}`);
          if (p.deleted ? res.status !== 404 : !['running', 'failed'].includes(res.body.status)) return undefined;
          // A kill between marking a project running and announcing it is repaired by re-running its job
          // (stall recovery, else the reconciler): convergence includes subscribers' view.
          if (!p.deleted && (await lastEvent(p))?.status !== res.body.status) return undefined;
        }
        return true;
      },
      CONVERGE_BUDGET_MS,
      'every project to be running, failed or (when deleted) gone, and its last event to agree',
      500,
    );
  });

  it('leaves every live project running, or failed with a reason, and every deleted one gone', async () => {
    assert.deepEqual([...resurrections], [], 'a deleted project came back (its status was overwritten after the DELETE)');
    for (const p of projects) {
      const res = await api.as(p.owner).get(`/api/projects/${p.id}`);
      if (p.deleted) {
        assert.equal(res.status, 404, `${p.name} was deleted`);
        continue;
      }
      assert.equal(res.status, 200);
      if (res.body.status === 'failed') assert.ok(String(res.body.last_error ?? '').trim().length > 0, `${p.name} failed without a reason`);
      else assert.equal(res.body.status, 'running', p.name);
    }
    // Clients keep the event with the highest seq per project: it must tell the same story.
    for (const p of projects) {
      const last = await lastEvent(p);
      const { rows: [row] } = await admin.query<{ status: string }>('select status from projects where id = $1', [p.id]);
      assert.equal(last?.status, row.status, `${p.name}: the last event (${JSON.stringify(last)}) agrees with the database`);
    }
  });

  it('gives each running project exactly its network and 3 running containers at the planned addresses, and a healthy tools API', async () => {
    const running = [];
    for (const p of live()) {
      const body = (await api.as(p.owner).get(`/api/projects/${p.id}`).expect(200)).body;
      if (body.status === 'running') running.push({ p, body });
    }
    assert.ok(running.length > 0, 'some project reached running (else the checks below prove nothing)');
    for (const { p, body } of running) {
      const { containers, networks } = await docker.listByLabel({ [LABEL_KEYS.project]: p.id });
      assert.deepEqual(networks.map((n) => n.name), [networkName(p.id)], `${p.name}: one network`);
      assert.equal(networks[0].subnet, body.network.subnet);
      assert.equal(networks[0].gateway, body.network.gateway);
      assert.deepEqual(
        containers.map((c) => c.name).sort(),
        (['share', 'tools', 'vm'] as const).map((role) => containerName(role, p.id)).sort(),
        `${p.name}: exactly vm, tools and share`,
      );
      const expected: Record<string, string> = { vm: body.network.vm_ip, tools: body.network.tools_ip, share: body.network.share_ip };
      for (const c of containers) {
        const role = c.labels[LABEL_KEYS.role];
        assert.equal(c.state, 'running', `${c.name} runs`);
        assert.equal(c.networks[networkName(p.id)], expected[role], `${c.name} address`);
        assert.deepEqual(Object.keys(c.networks).sort(), (role === 'tools' ? [networkName(p.id), env.TOOLS_NETWORK] : [networkName(p.id)]).sort());
      }
      const credential = toolsApiCredential(KeyRing.parse(process.env.PANTHEON_MASTER_KEYS!), p.id);
      const health = await fetch(`http://${body.network.tools_ip}:8090/health`, {
        headers: { authorization: `Bearer ${credential}` },
        signal: AbortSignal.timeout(5000),
      });
      const report = (await health.json()) as { status?: string; project_id?: string };
      assert.equal(health.status, 200, `${p.name}: tools API /health`);
      assert.deepEqual([report.status, report.project_id], ['ok', p.id]);
      assert.ok(existsSync(join(rt.shareRoot, p.id)), `${p.name}: shared folder kept`);
    }
  });

  it('leaves no container or network of a project that is not live, and nothing of failed or deleted projects', async () => {
    // Orphans of a deletion raced by a killed build are the reconciler's job: give it a few passes.
    await eventually(
      async () => {
        const { containers, networks } = await docker.listByLabel(testRunSelector(rt.label));
        const owners = [...containers, ...networks].map((o) => o.labels[LABEL_KEYS.project]).filter((id): id is string => Boolean(id));
        const { rows } = await admin.query<{ id: string }>(
          `select id from projects where id = any($1) and deleted_at is null and status <> 'deleted'`,
          [[...new Set(owners)]],
        );
        const liveIds = new Set(rows.map((r) => r.id));
        const stray = [...new Set(owners.filter((id) => !liveIds.has(id)))];
        // Thrown, not returned: the timeout error then names what is left.
        if (stray.length > 0) throw new Error(`objects of non-live projects remain: ${stray.join(', ')}`);
        return true;
      },
      20_000,
      'no Docker object of a non-live project (reconciler)',
      500,
    );
    for (const p of projects) {
      const status = p.deleted ? 'deleted' : (await api.as(p.owner).get(`/api/projects/${p.id}`)).body.status;
      if (status === 'running') continue;
      const { containers, networks } = await docker.listByLabel({ [LABEL_KEYS.project]: p.id });
      assert.deepEqual([...containers, ...networks].map((o) => o.name), [], `${p.name} (${status}) holds no Docker object`);
      assert.equal(existsSync(join(rt.shareRoot, p.id)), false, `${p.name} (${status}): shared folder removed`);
    }
  });
});
