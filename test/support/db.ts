import { Pool, PoolClient } from 'pg';
import { survivesConnectionLoss } from '@pantheon/db';

function withUser(url: string, user: string, password?: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password ?? '';
  return u.toString();
}

/**
 * A pg pool for test code. pool.end() resolves before its sockets close, so a forced `drop database`
 * right after can still hit a closing connection: that must not become an uncaught exception.
 */
export function testPool(connectionString: string, max = 3): Pool {
  const pool = new Pool({ connectionString, max });
  survivesConnectionLoss(pool, () => undefined);
  return pool;
}

/** The run's database as the superuser (bypasses RLS): for seeding and inspecting only. */
export function adminPool(): Pool {
  return testPool(withUser(requiredEnv('DATABASE_URL'), 'postgres'));
}

/** The run's database as the application role, exactly as the API connects. */
export function appPool(): Pool {
  return testPool(requiredEnv('DATABASE_URL'));
}

export function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through test/run.sh`);
  return v;
}

/**
 * Runs `fn` in a transaction with app.user_id set transaction-locally (as libs/db withUser does). Rolled
 * back unless `commit` is set, so probes leave nothing behind.
 */
export async function asAppUser<T>(
  pool: Pool,
  userId: string | null,
  fn: (c: PoolClient) => Promise<T>,
  opts: { commit?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    if (userId) await client.query(`select set_config('app.user_id', $1, true)`, [userId]);
    let ok = false;
    try {
      const result = await fn(client);
      ok = true;
      return result;
    } finally {
      await client.query(ok && opts.commit ? 'commit' : 'rollback');
    }
  } finally {
    client.release();
  }
}

/** Runs one statement in its own savepoint so an expected error does not abort the surrounding test txn. */
export async function tryQuery(
  c: PoolClient,
  sql: string,
  params: unknown[] = [],
): Promise<{ rowCount: number; rows: any[]; error?: { code: string; message: string } }> {
  await c.query('savepoint t');
  try {
    const r = await c.query(sql, params);
    await c.query('release savepoint t');
    return { rowCount: r.rowCount ?? 0, rows: r.rows };
  } catch (err) {
    await c.query('rollback to savepoint t');
    const e = err as { code: string; message: string };
    return { rowCount: 0, rows: [], error: { code: e.code, message: e.message } };
  }
}

export interface ScratchDatabase {
  name: string;
  ownerUrl: string;
  appUrl: string;
  workerUrl: string;
  /** Superuser on this database (bypasses RLS): for seeding and inspecting only. */
  adminUrl: string;
  drop(): Promise<void>;
}

function onDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Creates an empty database owned by pantheon_owner, for tests that need a pristine or private schema
 * (migrations, key rotation). Nothing is migrated yet.
 */
export async function createScratchDatabase(admin: Pool, label: string): Promise<ScratchDatabase> {
  const name = `pantheon_scratch_${label}_${process.pid}_${Date.now()}`.toLowerCase();
  await admin.query(`create database "${name}" owner pantheon_owner`);
  await admin.query(`revoke all on database "${name}" from public`);
  await admin.query(`grant connect on database "${name}" to pantheon_app, pantheon_worker`);
  return {
    name,
    ownerUrl: onDatabase(requiredEnv('DATABASE_MIGRATION_URL'), name),
    appUrl: onDatabase(requiredEnv('DATABASE_URL'), name),
    workerUrl: onDatabase(requiredEnv('DATABASE_WORKER_URL'), name),
    adminUrl: onDatabase(withUser(requiredEnv('DATABASE_URL'), 'postgres'), name),
    drop: async () => {
      await admin.query(`drop database if exists "${name}" with (force)`);
    },
  };
}
