/**
 * The RLS identity sent with BEGIN (createPrismaClient + withUser / withAuthSubject): as the app role, under
 * concurrency, each scope sees only its own rows (and writes only as itself), the setting ends with its
 * transaction, and a client without the BEGIN hook still gets its identity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPrismaClient, withAuthSubject, withUser } from '@pantheon/db';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@pantheon/prisma-client';
import { adminPool, requiredEnv } from '../../support/db';

describe('scoped transactions: the identity travels with BEGIN', () => {
  const admin = adminPool();
  const client = createPrismaClient({ connectionString: requiredEnv('DATABASE_URL'), poolMax: 4 });
  const users: { id: string; sub: string; project: string }[] = [];

  before(async () => {
    for (let i = 0; i < 3; i++) {
      const sub = `scoped-${i}-${Date.now()}`;
      const u = await admin.query<{ id: string }>(`insert into users (keycloak_sub, email) values ($1, $1 || '@test.local') returning id`, [sub]);
      const p = await admin.query<{ id: string }>(`insert into projects (owner_id, name) values ($1, $2) returning id`, [u.rows[0].id, `scoped-${i}`]);
      users.push({ id: u.rows[0].id, sub, project: p.rows[0].id });
    }
  });
  after(async () => {
    await admin.query(`delete from projects where owner_id = any($1::uuid[])`, [users.map((u) => u.id)]);
    await admin.query(`delete from users where id = any($1::uuid[])`, [users.map((u) => u.id)]);
    await admin.end();
    await client.$disconnect();
  });

  it('gives 300 interleaved scopes, over 4 pooled connections, their own rows and identity only', async () => {
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const u = users[i % users.length];
        const [rows, [setting]] = await withUser(client, u.id, async (tx) => [
          await tx.project.findMany({ select: { id: true, ownerId: true } }),
          await tx.$queryRaw<{ v: string }[]>`select current_setting('app.user_id', true) as v`,
        ]);
        assert.deepEqual(rows, [{ id: u.project, ownerId: u.id }]);
        assert.equal(setting.v, u.id);
      }),
    );
  });

  it('withAuthSubject sees the subject\'s user row only', async () => {
    const rows = await withAuthSubject(client, users[1].sub, (tx) => tx.user.findMany({ select: { id: true } }));
    assert.deepEqual(rows, [{ id: users[1].id }]);
  });

  it('leaves no identity behind on the pooled connections', async () => {
    await withUser(client, users[0].id, (tx) => tx.project.count());
    const left = await Promise.all(
      Array.from({ length: 8 }, () => client.$queryRaw<{ v: string | null }[]>`select current_setting('app.user_id', true) as v`),
    );
    for (const [row] of left) assert.ok(!row.v, `setting left behind: ${row.v}`);
    assert.equal(await client.project.count(), 0, 'outside a scope the app role sees no project');
  });

  it('sets the identity itself on a client made without the BEGIN hook', async () => {
    const plain = new PrismaClient({ adapter: new PrismaPg({ connectionString: requiredEnv('DATABASE_URL') }) });
    try {
      const rows = await withUser(plain, users[0].id, (tx) => tx.project.findMany({ select: { id: true } }));
      assert.deepEqual(rows, [{ id: users[0].project }]);
    } finally {
      await plain.$disconnect();
    }
  });
});
