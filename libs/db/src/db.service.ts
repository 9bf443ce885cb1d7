import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaClient } from '@pantheon/prisma-client';
import { createPrismaClient, DbPoolUsage, dbPoolUsage, Tx } from './prisma.client';
import { MasterKeyVerifierRepository } from './repositories/master-key-verifier.repository';
import { enterUserScope, ScopeOptions, withAuthSubject, withTokenHash, withUser } from './with-user';

export const DB_OPTIONS = Symbol('DB_OPTIONS');

export interface DbModuleOptions {
  /** App role connection string (pantheon_app). */
  connectionString: string;
  poolMax?: number;
  applicationName?: string;
  /** Owner role connection string; when set, pending migrations are applied at boot. */
  migrationConnectionString?: string;
}

/**
 * The API's only way into PostgreSQL: every query runs inside a user scope (RLS identity set), except the
 * named system table master_key_verifiers. The unscoped client is never handed out.
 */
@Injectable()
export class DbService implements OnModuleDestroy {
  private readonly client: PrismaClient;

  constructor(
    @Inject(DB_OPTIONS) options: DbModuleOptions,
    private readonly verifiers: MasterKeyVerifierRepository,
  ) {
    this.client = createPrismaClient({
      connectionString: options.connectionString,
      poolMax: options.poolMax,
      applicationName: options.applicationName ?? 'pantheon-api',
    });
  }

  withUser<T>(userId: string, fn: (tx: Tx) => Promise<T>, opts?: ScopeOptions): Promise<T> {
    return withUser(this.client, userId, fn, opts);
  }

  withAuthSubject<T>(sub: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withAuthSubject(this.client, sub, fn);
  }

  withTokenHash<T>(hashHex: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withTokenHash(this.client, hashHex, fn);
  }

  enterUserScope(tx: Tx, userId: string): Promise<void> {
    return enterUserScope(tx, userId);
  }

  /** Connections open, idle and awaited in the app's pool (read by the metrics endpoint). */
  poolUsage(): DbPoolUsage {
    return dbPoolUsage(this.client);
  }

  async ping(): Promise<void> {
    await this.client.$queryRaw`select 1`;
  }

  storedMasterKeyVerifiers(): Promise<{ version: number; verifier: Buffer }[]> {
    return this.verifiers.all(this.client);
  }

  storeMasterKeyVerifier(version: number, verifier: Buffer): Promise<void> {
    return this.verifiers.insertIfAbsent(this.client, version, verifier);
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.$disconnect();
  }
}
