import { Injectable } from '@nestjs/common';
import { Tx } from '../prisma.client';
import { pageWithTotal } from './page';

export interface ProviderKeyRecord {
  id: string;
  userId: string;
  name: string;
  provider: string;
  baseUrl: string | null;
  ciphertext: Uint8Array;
  keyVersion: number;
  last4: string;
  fingerprint: string;
  lastTestedAt: Date | null;
  lastTestOk: boolean | null;
  lastTestError: string | null;
  lastUsedAt: Date | null;
  requestCount: bigint;
  promptTokens: bigint;
  completionTokens: bigint;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewProviderKey {
  id: string;
  userId: string;
  name: string;
  provider: string;
  baseUrl: string | null;
  ciphertext: Buffer;
  keyVersion: number;
  last4: string;
  fingerprint: string;
}

export interface Page {
  limit: number;
  offset: number;
}

/** provider_keys table, always inside a withUser scope (RLS hides other users' rows). */
@Injectable()
export class ProviderKeyRepository {
  async list(tx: Tx, page: Page): Promise<{ items: ProviderKeyRecord[]; total: number }> {
    return pageWithTotal(
      page,
      () => tx.providerKey.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      () => tx.providerKey.count(),
    );
  }

  count(tx: Tx): Promise<number> {
    return tx.providerKey.count();
  }

  findById(tx: Tx, id: string): Promise<ProviderKeyRecord | null> {
    return tx.providerKey.findUnique({ where: { id } });
  }

  /** The key to use for a provider: keys that passed their last test first, then untested ones, newest first. */
  async findUsable(tx: Tx, provider: string): Promise<ProviderKeyRecord | null> {
    // Spelled out: NOT (last_test_ok = false) would also drop untested keys (NULL).
    const keys = await tx.providerKey.findMany({
      where: { provider, OR: [{ lastTestOk: null }, { lastTestOk: true }] },
      orderBy: { createdAt: 'desc' },
      take: 20,
    });
    return keys.find((k) => k.lastTestOk === true) ?? keys[0] ?? null;
  }

  /** Providers for which the caller has at least one key, with the newest test result per provider. */
  providersWithKeys(tx: Tx): Promise<{ provider: string; lastTestedAt: Date | null; lastTestOk: boolean | null }[]> {
    return tx.providerKey.findMany({
      distinct: ['provider'],
      orderBy: [{ provider: 'asc' }, { lastTestedAt: { sort: 'desc', nulls: 'last' } }],
      select: { provider: true, lastTestedAt: true, lastTestOk: true },
    });
  }

  async recordTest(tx: Tx, id: string, ok: boolean, error: string | null): Promise<ProviderKeyRecord> {
    return tx.providerKey.update({ where: { id }, data: { lastTestedAt: new Date(), lastTestOk: ok, lastTestError: error, updatedAt: new Date() } });
  }

  findByFingerprint(tx: Tx, fingerprint: string): Promise<ProviderKeyRecord | null> {
    return tx.providerKey.findFirst({ where: { fingerprint } });
  }

  create(tx: Tx, key: NewProviderKey): Promise<ProviderKeyRecord> {
    return tx.providerKey.create({ data: { ...key, ciphertext: new Uint8Array(key.ciphertext) } });
  }

  /** Returns false when no visible row had that id. */
  async delete(tx: Tx, id: string): Promise<boolean> {
    const { count } = await tx.providerKey.deleteMany({ where: { id } });
    return count > 0;
  }
}
