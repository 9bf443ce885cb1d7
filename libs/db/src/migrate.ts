import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { DbError, DbErrorCode } from './db.errors';

/** Arbitrary constant shared by every runner of this project: only one applies migrations at a time. */
const MIGRATION_LOCK_KEY = 7_303_011_847_239_411n;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateOptions {
  /** Connection string of the owner role (never the app role). */
  connectionString: string;
  migrationsDir?: string;
  log?: (message: string) => void;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

/** Finds prisma/migrations from the source tree or the compiled tree (dist/libs/db/src → repo root). */
export function defaultMigrationsDir(): string {
  const candidates = [
    resolve(process.cwd(), 'prisma/migrations'),
    resolve(__dirname, '../../../prisma/migrations'),
    resolve(__dirname, '../../../../prisma/migrations'),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new DbError(DbErrorCode.MIGRATION_MISSING, `prisma/migrations not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Reads `<dir>/<timestamp>_<name>/migration.sql` in name order, as Prisma lays them out. */
export function readMigrations(dir: string): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      // Same checksum Prisma records: SHA-256 of the file, hex.
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

/**
 * Applies pending migrations under a session advisory lock, recording them in `_prisma_migrations`
 * (Prisma's own table layout, so Prisma tooling recognises them). Refuses to run when an applied migration's
 * file changed (checksum), is missing, or never finished. Each migration runs in its own transaction.
 */
export async function migrate(opts: MigrateOptions): Promise<MigrateResult> {
  const log = opts.log ?? (() => undefined);
  const files = readMigrations(opts.migrationsDir ?? defaultMigrationsDir());
  const client = new Client({ connectionString: opts.connectionString, application_name: 'pantheon-migrate' });
  // A connection the server ends between statements fails the next query; it must not crash the process.
  client.on('error', (err) => log(`migration connection lost: ${err.message}`));
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS _prisma_migrations (
          id                  varchar(36) PRIMARY KEY NOT NULL,
          checksum            varchar(64) NOT NULL,
          finished_at         timestamptz,
          migration_name      varchar(255) NOT NULL,
          logs                text,
          rolled_back_at      timestamptz,
          started_at          timestamptz NOT NULL DEFAULT now(),
          applied_steps_count integer NOT NULL DEFAULT 0
        )`);
      const { rows } = await client.query<AppliedRow>(
        'select migration_name, checksum, finished_at from _prisma_migrations where rolled_back_at is null',
      );
      const applied = new Map(rows.map((r) => [r.migration_name, r]));
      const byName = new Map(files.map((f) => [f.name, f]));

      for (const row of rows) {
        const file = byName.get(row.migration_name);
        if (!row.finished_at) {
          throw new DbError(
            DbErrorCode.MIGRATION_INCOMPLETE,
            `migration ${row.migration_name} was started but never finished; inspect the database, then mark it rolled back`,
          );
        }
        if (!file) {
          throw new DbError(
            DbErrorCode.MIGRATION_MISSING,
            `migration ${row.migration_name} is applied in the database but missing from prisma/migrations`,
          );
        }
        if (file.checksum !== row.checksum) {
          throw new DbError(
            DbErrorCode.MIGRATION_CHECKSUM_MISMATCH,
            `migration ${row.migration_name} was modified after it was applied (checksum mismatch); ` +
              'add a new migration instead of editing an applied one',
          );
        }
      }

      const result: MigrateResult = { applied: [], alreadyApplied: [...applied.keys()].sort() };
      for (const file of files) {
        if (applied.has(file.name)) continue;
        log(`applying migration ${file.name}`);
        await client.query('BEGIN');
        try {
          await client.query(file.sql);
          await client.query(
            `insert into _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
             values ($1, $2, $3, now(), now(), 1)`,
            [randomUUID(), file.checksum, file.name],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new DbError(DbErrorCode.MIGRATION_FAILED, `migration ${file.name} failed: ${(err as Error).message}`);
        }
        result.applied.push(file.name);
      }
      return result;
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}
