import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Pool } from 'pg';
import { createPrismaClient, survivesConnectionLoss } from '@pantheon/db';
import { adminPool, requiredEnv } from '../../support/db';
import { eventually } from '../../support/eventually';

/**
 * PostgreSQL may end any connection (restart, failover, pg_terminate_backend, a forced drop). Without an
 * 'error' listener on each client that is an uncaught exception, and this test process would die.
 */
describe('database connection loss', () => {
  const root = adminPool();
  after(() => root.end());

  const terminate = async (applicationName: string): Promise<number> => {
    const { rows } = await root.query(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1`,
      [applicationName],
    );
    return rows.length;
  };

  it('an API/worker client reports a terminated idle connection and reconnects on the next query', async () => {
    const name = `conn-loss-${randomUUID().slice(0, 8)}`;
    const errors: { code?: string }[] = [];
    const client = createPrismaClient({
      connectionString: requiredEnv('DATABASE_URL'),
      applicationName: name,
      onConnectionError: (err) => void errors.push(err as { code?: string }),
    });
    try {
      assert.deepEqual(await client.$queryRaw`select 1 as one`, [{ one: 1 }]);
      assert.equal(await terminate(name), 1, 'one idle connection was open');
      await eventually(async () => (errors.length > 0 ? true : undefined), 5000, 'the connection error');
      assert.equal(errors[0].code, '57P01', 'admin shutdown is what was reported');
      assert.deepEqual(await client.$queryRaw`select 2 as two`, [{ two: 2 }]);
    } finally {
      await client.$disconnect();
    }
  });

  it('a pool survives termination of idle and checked-out connections', async () => {
    const name = `conn-loss-${randomUUID().slice(0, 8)}`;
    const url = new URL(requiredEnv('DATABASE_URL'));
    url.searchParams.set('application_name', name);
    const pool = new Pool({ connectionString: url.toString(), max: 2 });
    const errors: Error[] = [];
    survivesConnectionLoss(pool, (err) => void errors.push(err));
    try {
      const held = await pool.connect();
      await held.query('select 1');
      await pool.query('select 1'); // a second, idle connection
      assert.equal(await terminate(name), 2);
      await eventually(async () => (errors.length >= 2 ? true : undefined), 5000, 'both connection errors');
      held.release(true);
      const { rows } = await pool.query('select 3 as three');
      assert.deepEqual(rows, [{ three: 3 }]);
    } finally {
      await pool.end();
    }
  });
});
