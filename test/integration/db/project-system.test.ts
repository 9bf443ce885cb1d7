import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createPrismaClient, ProjectSystemRepository } from '@pantheon/db';
import { adminPool, appPool, asAppUser, requiredEnv } from '../../support/db';

/** The worker's system path (pantheon_worker) against the real database. */
describe('ProjectSystemRepository as pantheon_worker', () => {
  const admin = adminPool();
  const app = appPool();
  const worker = createPrismaClient({ connectionString: requiredEnv('DATABASE_WORKER_URL'), poolMax: 2 });
  const projects = new ProjectSystemRepository(worker);
  const userId = randomUUID();
  let projectId: string;

  before(async () => {
    await admin.query('insert into users (id, keycloak_sub) values ($1, $2)', [userId, `sub-${userId}`]);
    const { rows } = await admin.query(`insert into projects (owner_id, name) values ($1, 'system-path') returning id`, [userId]);
    projectId = rows[0].id;
  });
  after(async () => {
    await admin.query('delete from users where id = $1', [userId]);
    await worker.$disconnect();
    await app.end();
    await admin.end();
  });

  const issue = () =>
    projects.issueToolsToken({ projectId, userId, hash: randomBytes(32), prefix: 'pt_spec', expiresAt: new Date(Date.now() + 3600_000) });

  it("re-issues the tools token by kind: a user's token named tools-api survives", async () => {
    // Issued through the API's role, exactly as POST /api/projects/:id/tokens does.
    await asAppUser(app, userId, (c) => c.query(
      `insert into project_tokens (user_id, project_id, name, token_hash, prefix, expires_at)
       values ($1, $2, 'tools-api', sha256(gen_random_uuid()::text::bytea), 'pt_user', now() + interval '1 day')`,
      [userId, projectId]), { commit: true });
    await issue();
    await issue();
    const { rows } = await admin.query(
      `select kind, prefix, revoked_at is not null as revoked from project_tokens where project_id = $1 order by created_at, revoked_at nulls last`,
      [projectId]);
    assert.deepEqual(rows, [
      { kind: 'user', prefix: 'pt_user', revoked: false },
      { kind: 'tools', prefix: 'pt_spec', revoked: true },
      { kind: 'tools', prefix: 'pt_spec', revoked: false },
    ]);
  });

  it("revokes the platform's tokens of a failed project (tools and the VM's vm tokens), never a user's", async () => {
    await asAppUser(app, userId, (c) => c.query(
      `insert into project_tokens (user_id, project_id, kind, name, token_hash, prefix, expires_at)
       values ($1, $2, 'vm', 'vm-env', sha256(gen_random_uuid()::text::bytea), 'pt_vm', now() + interval '1 hour')`,
      [userId, projectId]), { commit: true });
    assert.equal(await projects.revokeToolsTokens(projectId), 2, 'the live tools token and the vm token');
    const { rows } = await admin.query(
      `select kind, bool_and(revoked_at is not null) as revoked from project_tokens where project_id = $1 group by kind order by kind`, [projectId]);
    assert.deepEqual(rows, [
      { kind: 'tools', revoked: true },
      { kind: 'user', revoked: false },
      { kind: 'vm', revoked: true },
    ]);
  });

  it('refuses a non-UUID id in liveIds (why the reconciler filters labels first)', async () => {
    await assert.rejects(projects.liveIds([projectId, 'not-a-uuid']));
    assert.deepEqual([...(await projects.liveIds([projectId]))], [projectId]);
  });

  it("releases a failed project's lease only while it is still failed, and records why", async () => {
    const lease = async (status: string) => {
      const { rows: [p] } = await admin.query(
        `insert into projects (owner_id, name, status, updated_at) values ($1, 'lease-' || substr(md5(random()::text), 1, 6), $2, now() - interval '1 hour') returning id`,
        [userId, status]);
      const { rows: [l] } = await admin.query(
        `insert into subnet_leases (subnet_index, project_id)
         select i, $1 from generate_series(1, 254) i where not exists (select 1 from subnet_leases x where x.subnet_index = i)
         order by i desc limit 1 returning subnet_index`,
        [p.id]);
      await admin.query('update projects set subnet_index = $2, updated_at = now() - interval \'1 hour\' where id = $1', [p.id, l.subnet_index]);
      return { id: p.id as string, subnet_index: l.subnet_index as number };
    };
    const failed = await lease('failed');
    const deleting = await lease('deleting');
    const candidates = (await projects.listFailedHoldingLease(new Date())).map((p) => p.id);
    assert.ok(candidates.includes(failed.id) && !candidates.includes(deleting.id), JSON.stringify(candidates));
    assert.equal((await projects.listFailedHoldingLease(new Date(Date.now() - 2 * 3600_000))).some((p) => p.id === failed.id), false, 'within the grace');

    assert.equal(await projects.releaseFailedLease(failed.id, 'failed. Its network was released.'), true);
    assert.equal(await projects.releaseFailedLease(failed.id, 'again'), false, 'released once');
    assert.equal(await projects.releaseFailedLease(deleting.id, 'no'), false, 'a project being deleted keeps its lease for deprovision');
    const { rows } = await admin.query('select id, subnet_index, last_error, (select count(*)::int from subnet_leases l where l.project_id = p.id) as leases from projects p where id = any($1) order by subnet_index nulls first', [[failed.id, deleting.id]]);
    assert.deepEqual(rows, [
      { id: failed.id, subnet_index: null, last_error: 'failed. Its network was released.', leases: 0 },
      { id: deleting.id, subnet_index: deleting.subnet_index, last_error: null, leases: 1 },
    ]);
  });
});
