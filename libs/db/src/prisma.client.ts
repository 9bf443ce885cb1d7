import { PrismaPg } from '@prisma/adapter-pg';
import { AsyncLocalStorage } from 'node:async_hooks';
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

/**
 * The transaction-local setting (RLS identity) that the next transaction started on this async path must carry:
 * set by with-user.ts around `$transaction`. `applied` turns true once a BEGIN carried it.
 */
export interface PendingScope {
  name: string;
  value: string;
  applied: boolean;
}
export const pendingScope = new AsyncLocalStorage<PendingScope>();

/**
 * Sends a scoped transaction's `set_config` in the same round trip as its BEGIN (one simple-protocol query,
 * values quoted by the driver), instead of as a query of its own through Prisma, which costs as much client CPU as
 * the request's real query. Each scope is used once; a transaction it did not reach sets its scope itself.
 */
function setScopeWithBegin(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: unknown, ...rest: unknown[]) => unknown;
  (client as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
    const q = config as { text?: unknown; name?: unknown; values?: unknown[] } | null;
    if (q && typeof q === 'object' && q.text === 'BEGIN' && !q.name && (q.values?.length ?? 0) === 0) {
      const scope = pendingScope.getStore();
      if (scope && !scope.applied) {
        scope.applied = true;
        const text = `BEGIN; SELECT set_config(${client.escapeLiteral(scope.name)}, ${client.escapeLiteral(scope.value)}, true)`;
        return query({ ...q, text }, ...rest);
      }
    }
    return query(config, ...rest);
  };
}

/** Creates a Prisma client over node-postgres. Callers own its lifetime ($disconnect also ends its pool). */
export function createPrismaClient(opts: DbConnectionOptions): PrismaClient {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolMax ?? 10,
    application_name: opts.applicationName ?? 'pantheon',
  });
  survivesConnectionLoss(pool, opts.onConnectionError ?? logConnectionLoss);
  pool.on('connect', setScopeWithBegin);
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
