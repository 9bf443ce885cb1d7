import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '@pantheon/prisma-client';

/** A Prisma client bound to one transaction whose `app.user_id` (or `app.auth_sub`) is already set. */
export type Tx = Prisma.TransactionClient;

export interface DbConnectionOptions {
  connectionString: string;
  poolMax?: number;
  /** Shown in pg_stat_activity, so operators can tell API, worker and tasks apart. */
  applicationName?: string;
}

/** Creates a Prisma client over node-postgres. Callers own its lifetime ($disconnect). */
export function createPrismaClient(opts: DbConnectionOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: opts.connectionString,
    max: opts.poolMax ?? 10,
    application_name: opts.applicationName ?? 'pantheon',
  });
  return new PrismaClient({ adapter });
}

export { Prisma, PrismaClient };
