import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from '@pantheon/prisma-client';

/** A Prisma client bound to one transaction whose `app.user_id` (or `app.auth_sub`) is already set. */
export type Tx = Prisma.TransactionClient;

export interface DbConnectionOptions {
  connectionString: string;
  poolMax?: number;
  /** Shown in pg_stat_activity, so operators can tell API, worker and tasks apart. */
  applicationName?: string;
}

/** How busy a client's connection pool is (for metrics). */
export interface DbPoolUsage {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

// The pool behind each client: we create it (rather than letting the adapter) only so that its counts can be read.
const pools = new WeakMap<PrismaClient, pg.Pool>();

/** Creates a Prisma client over node-postgres. Callers own its lifetime ($disconnect also ends its pool). */
export function createPrismaClient(opts: DbConnectionOptions): PrismaClient {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolMax ?? 10,
    application_name: opts.applicationName ?? 'pantheon',
  });
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/** The pool counts of a client made by createPrismaClient. */
export function dbPoolUsage(client: PrismaClient): DbPoolUsage {
  const pool = pools.get(client);
  if (!pool) return { total: 0, idle: 0, waiting: 0, max: 0 };
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
}

export { Prisma, PrismaClient };
