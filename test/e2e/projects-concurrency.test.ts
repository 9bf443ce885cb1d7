import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/**
 * Subnet allocation and quotas under concurrent requests. No worker runs here (jobs only queue), so this is
 * about the API and PostgreSQL: unique leases, per-user quotas, exhaustion.
 */
describe('projects: concurrent creation', () => {
  let issuer: OidcIssuerHandle;
  let api: TestApi;
  let users: TestUser[];
  const admin = adminPool();
  const ids: string[] = [];

  before(async () => {
    issuer = await startOidcIssuer();
    // Own Redis prefix: the queued jobs of this suite are never seen by another suite's worker.
    // No platform capacity here: this suite races the per-user quota and the subnets (projects-limits tests capacity).
    api = await startTestApi(issuer, {
      PROJECTS_MAX_PER_USER: '10',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:conc-${randomBytes(3).toString('hex')}`,
      PLATFORM_MAX_PROJECTS: '0',
      PLATFORM_MAX_RAM_GB: '0',
      PLATFORM_MAX_CPU_CORES: '0',
    });
    users = [await createUser(api, issuer, 'conc-a'), await createUser(api, issuer, 'conc-b')];
  });
  after(async () => {
    if (ids.length) await admin.query('delete from projects where id = any($1)', [ids]);
    await api?.close();
    await issuer?.stop();
    await admin.end();
  });

  // Not createProject: these race, and the statuses are counted rather than expected one by one.
  const post = (u: TestUser, name: string) => api.as(u).post('/api/projects').send({ name });

  it('gives 20 parallel POSTs from 2 users 20 distinct subnets', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(users[i % 2], `p-${i}`)));
    assert.deepEqual(results.map((r) => r.status), Array(20).fill(202));
    ids.push(...results.map((r) => r.body.id));
    const subnets = results.map((r) => r.body.network.subnet as string);
    assert.equal(new Set(subnets).size, 20, 'every project has its own /24');
    const { rows } = await admin.query('select count(*)::int as n, count(distinct subnet_index)::int as d from subnet_leases where project_id = any($1)', [ids]);
    assert.deepEqual(rows[0], { n: 20, d: 20 });
    const fromProjects = await admin.query('select subnet_index from projects where id = any($1)', [ids]);
    assert.deepEqual(
      fromProjects.rows.map((r) => r.subnet_index).sort((a: number, b: number) => a - b),
      subnets.map((s) => Number(s.split('.')[2])).sort((a, b) => a - b),
      'the project rows agree with the leases',
    );
  });

  it('respects the quota under a burst: exactly the limit succeeds, the rest get 409 with a reason', async () => {
    const [a] = users;
    // a already has 10 (the limit): a burst of 5 more is refused entirely.
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => post(a, `over-${i}`)));
    assert.deepEqual(burst.map((r) => r.status), Array(5).fill(409));
    for (const r of burst) assert.match(r.body.message, /Project limit reached: you have 10 of 10/);
    // A fresh user racing 14 requests against a limit of 10 gets exactly 10.
    const c = await createUser(api, issuer, 'conc-c');
    const race = await Promise.all(Array.from({ length: 14 }, (_, i) => post(c, `race-${i}`)));
    const accepted = race.filter((r) => r.status === 202);
    ids.push(...accepted.map((r) => r.body.id));
    assert.equal(accepted.length, 10);
    assert.equal(race.filter((r) => r.status === 409).length, 4);
    const { rows } = await admin.query('select count(*)::int as n from projects where owner_id = $1', [c.id]);
    assert.equal(rows[0].n, 10);
  });

  it('reports subnet exhaustion as a clear 409 and creates nothing', async () => {
    // Occupy every remaining index with placeholder projects of a system user, then ask for one more.
    const { rows: [owner] } = await admin.query(
      `insert into users (keycloak_sub, email) values ($1, 'filler@test.local') returning id`, [`filler-${randomBytes(4).toString('hex')}`]);
    const { rows: fillers } = await admin.query(
      `with free as (select i from generate_series(1, 254) i where not exists (select 1 from subnet_leases where subnet_index = i)),
            p as (insert into projects (owner_id, name) select $1, 'filler-' || i from free returning id, name)
       insert into subnet_leases (subnet_index, project_id) select substr(p.name, 8)::int, p.id from p returning project_id`,
      [owner.id],
    );
    ids.push(...fillers.map((r) => r.project_id));
    const d = await createUser(api, issuer, 'conc-d');
    const res = await post(d, 'one-too-many');
    assert.equal(res.status, 409);
    assert.match(res.body.message, /No project network is free/);
    const { rows } = await admin.query('select count(*)::int as n from projects where owner_id = $1', [d.id]);
    assert.equal(rows[0].n, 0, 'the refused project was not kept');
    await admin.query('delete from projects where owner_id = $1', [owner.id]);
  });
});
