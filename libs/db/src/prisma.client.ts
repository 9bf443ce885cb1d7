import { PrismaPg } from '@prisma/adapter-pg';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { Prisma, PrismaClient } from '@pantheon/prisma-client';

/** A Prisma client bound to one transaction whose `app.user_id` (or `app.auth_sub`) is already set. */
export type Tx = Prisma.TransactionClient;

export interface DbConnectionOptions {
  connectionString: string;
  poolMax?: number;
  /** Shown in pg_stat_activity, so operators can tell API, worker and tasks apart. */
  applicationName?: string;
  /**
   * Told when PostgreSQL ends a connection that no query is waiting on (restart, failover,
   * pg_terminate_backend, `drop database … with (force)`). That connection is dropped and the pool
   * reconnects on demand; the process carries on.
   */
  onConnectionError?: (err: Error) => void; // default: a warning in the app's log
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

const logger = new Logger('Db');
const logConnectionLoss = (err: Error) =>
  logger.warn({ code: (err as { code?: string }).code, err: err.message }, 'database connection lost; the pool reconnects');

/** Creates a Prisma client over node-postgres. Callers own its lifetime ($disconnect also ends its pool). */
export function createPrismaClient(opts: DbConnectionOptions): PrismaClient {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolMax ?? 10,
    application_name: opts.applicationName ?? 'pantheon',
  });
  survivesConnectionLoss(pool, opts.onConnectionError ?? logConnectionLoss);
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/**
 * node-postgres emits 'error' on a client the server disconnects while it is idle or while the pool is
 * ending it (pool.end() resolves before its sockets close). With no listener that is an uncaught exception
 * that kills the process, so every client of the pool, and the pool, gets one. Errors of queries in flight
 * still reach their callers as rejections.
 */
export function survivesConnectionLoss(pool: pg.Pool, onError: (err: Error) => void): void {
  pool.on('connect', (client) => client.on('error', onError));
  // The pool re-emits an idle client's error; the client's listener above has already reported it.
  pool.on('error', () => undefined);
}

/** The pool counts of a client made by createPrismaClient. */
export function dbPoolUsage(client: PrismaClient): DbPoolUsage {
  const pool = pools.get(client);
  if (!pool) return { total: 0, idle: 0, waiting: 0, max: 0 };
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
}

export { Prisma, PrismaClient };
