import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DbError, DbErrorCode, defaultMigrationsDir, migrate, readMigrations } from '@pantheon/db';
import { KeyRing } from '@pantheon/crypto';
import { adminPool, createScratchDatabase, ScratchDatabase, testPool } from '../../support/db';
import { startTestApi } from '../../support/api';
import { startOidcIssuer } from '../../support/oidc';

describe('migration runner', () => {
  const root = adminPool();
  const scratch: ScratchDatabase[] = [];
  const fresh = async (label: string) => {
    const db = await createScratchDatabase(root, label);
    scratch.push(db);
    return db;
  };
  const count = async (db: ScratchDatabase): Promise<number> => {
    const pool = testPool(db.ownerUrl, 1);
    try {
      const { rows } = await pool.query('select count(*)::int as n from _prisma_migrations where finished_at is not null');
      return rows[0].n;
    } finally {
      await pool.end();
    }
  };
  const all = readMigrations(defaultMigrationsDir());

  before(() => assert.ok(all.length >= 1));
  after(async () => {
    for (const db of scratch) await db.drop();
    await root.end();
  });

  it('applies every migration once and is a no-op the second time', async () => {
    const db = await fresh('twice');
    const first = await migrate({ connectionString: db.ownerUrl });
    assert.deepEqual(first.applied, all.map((m) => m.name));
    const second = await migrate({ connectionString: db.ownerUrl });
    assert.deepEqual(second.applied, []);
    assert.deepEqual(second.alreadyApplied, all.map((m) => m.name));
    assert.equal(await count(db), all.length);
  });

  it('records Prisma-compatible rows (sha256 checksum of the file)', async () => {
    const db = scratch[0];
    const pool = testPool(db.ownerUrl, 1);
    try {
      const { rows } = await pool.query('select migration_name, checksum, applied_steps_count, rolled_back_at from _prisma_migrations order by migration_name');
      assert.deepEqual(rows, all.map((m) => ({ migration_name: m.name, checksum: m.checksum, applied_steps_count: 1, rolled_back_at: null })));
    } finally {
      await pool.end();
    }
  });

  it('serialises concurrent runners with the advisory lock', async () => {
    const db = await fresh('concurrent');
    const results = await Promise.all([1, 2, 3].map(() => migrate({ connectionString: db.ownerUrl })));
    const appliedCounts = results.map((r) => r.applied.length).sort();
    assert.deepEqual(appliedCounts, [0, 0, all.length], 'exactly one runner applied the migrations');
    assert.equal(await count(db), all.length);
  });

  it('refuses to run when an applied migration was edited (checksum), and the API refuses to boot', async () => {
    const db = await fresh('tampered');
    await migrate({ connectionString: db.ownerUrl });
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-migrations-'));
    try {
      cpSync(defaultMigrationsDir(), dir, { recursive: true });
      const file = join(dir, all[0].name, 'migration.sql');
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- edited after it was applied\n`);
      await assert.rejects(migrate({ connectionString: db.ownerUrl, migrationsDir: dir }), (err: Error) => {
        assert.ok(err instanceof DbError);
        assert.equal(err.code, DbErrorCode.MIGRATION_CHECKSUM_MISMATCH);
        assert.match(err.message, new RegExp(all[0].name));
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Same refusal at API boot when the recorded checksum no longer matches the file.
    const pool = testPool(db.adminUrl, 1);
    await pool.query(`update _prisma_migrations set checksum = repeat('0', 64) where migration_name = $1`, [all[0].name]);
    await pool.end();
    const issuer = await startOidcIssuer();
    try {
      await assert.rejects(
        startTestApi(issuer, {
          DATABASE_URL: db.appUrl,
          DATABASE_MIGRATION_URL: db.ownerUrl,
          MIGRATE_ON_BOOT: 'true',
          PANTHEON_MASTER_KEYS: KeyRing.generateSpec(1),
        }),
        (err: Error) => err instanceof DbError && err.code === DbErrorCode.MIGRATION_CHECKSUM_MISMATCH,
      );
    } finally {
      await issuer.stop();
    }
  });

  it('rolls back a failing migration completely and reports which one failed', async () => {
    const db = await fresh('failing');
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-migrations-'));
    try {
      cpSync(defaultMigrationsDir(), dir, { recursive: true });
      const bad = join(dir, '29991231000000_broken');
      cpSync(join(dir, all[0].name), bad, { recursive: true });
      writeFileSync(join(bad, 'migration.sql'), 'create table half_done (id int);\nselect * from no_such_table;\n');
      await assert.rejects(migrate({ connectionString: db.ownerUrl, migrationsDir: dir }), (err: Error) => {
        assert.ok(err instanceof DbError);
        assert.equal(err.code, DbErrorCode.MIGRATION_FAILED);
        assert.match(err.message, /29991231000000_broken/);
        return true;
      });
      const pool = testPool(db.ownerUrl, 1);
      try {
        const { rows } = await pool.query(`select to_regclass('half_done') as t, (select count(*)::int from _prisma_migrations where migration_name = '29991231000000_broken') as n`);
        assert.deepEqual(rows[0], { t: null, n: 0 });
      } finally {
        await pool.end();
      }
      assert.equal(await count(db), all.length, 'the good migrations before it stay applied');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
