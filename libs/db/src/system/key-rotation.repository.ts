import { PrismaClient } from '@pantheon/prisma-client';

export interface RotatableKey {
  id: string;
  userId: string;
  keyVersion: number;
  ciphertext: Buffer;
}

/**
 * The system path for master-key rotation. Connects as pantheon_worker, whose grants allow reading and
 * rewriting ciphertexts of every user's keys and nothing else (see the foundation migration).
 */
export class KeyRotationRepository {
  constructor(private readonly client: PrismaClient) {}

  /**
   * Locks up to `limit` keys not yet under `targetVersion` and hands them to `reencrypt`; rows locked by a
   * concurrent rotator are skipped, and API requests never wait on more than one small batch.
   */
  async rotateBatch(
    targetVersion: number,
    limit: number,
    reencrypt: (key: RotatableKey) => { keyVersion: number; ciphertext: Buffer },
  ): Promise<number> {
    return this.client.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<{ id: string; user_id: string; key_version: number; ciphertext: Buffer }[]>`
          select id, user_id, key_version, ciphertext from provider_keys
          where key_version <> ${targetVersion}
          order by id
          limit ${limit}
          for update skip locked`;
        for (const row of rows) {
          const next = reencrypt({
            id: row.id,
            userId: row.user_id,
            keyVersion: row.key_version,
            ciphertext: Buffer.from(row.ciphertext),
          });
          await tx.$executeRaw`
            update provider_keys set ciphertext = ${next.ciphertext}, key_version = ${next.keyVersion}, updated_at = now()
            where id = ${row.id}::uuid and key_version = ${row.key_version}`;
        }
        return rows.length;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  }

  async storedVerifiers(): Promise<{ version: number; verifier: Buffer }[]> {
    const rows = await this.client.masterKeyVerifier.findMany({ orderBy: { version: 'asc' } });
    return rows.map((r) => ({ version: r.version, verifier: Buffer.from(r.verifier) }));
  }

  async storeVerifier(version: number, verifier: Buffer): Promise<void> {
    await this.client.masterKeyVerifier.createMany({ data: [{ version, verifier: new Uint8Array(verifier) }], skipDuplicates: true });
  }

  async remaining(targetVersion: number): Promise<number> {
    const rows = await this.client.$queryRaw<{ n: bigint }[]>`
      select count(*) as n from provider_keys where key_version <> ${targetVersion}`;
    return Number(rows[0]?.n ?? 0);
  }
}
