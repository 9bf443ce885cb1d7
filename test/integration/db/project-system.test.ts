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

  it('refuses a non-UUID id in liveIds (why the reconciler filters labels first)', async () => {
    await assert.rejects(projects.liveIds([projectId, 'not-a-uuid']));
    assert.deepEqual([...(await projects.liveIds([projectId]))], [projectId]);
  });
});
