import { Injectable } from '@nestjs/common';
import { PrismaClient } from '@pantheon/prisma-client';

/** master_key_verifiers is not tenant data, so it is read outside any user scope. */
@Injectable()
export class MasterKeyVerifierRepository {
  async all(client: PrismaClient): Promise<{ version: number; verifier: Buffer }[]> {
    const rows = await client.masterKeyVerifier.findMany({ orderBy: { version: 'asc' } });
    return rows.map((r) => ({ version: r.version, verifier: Buffer.from(r.verifier) }));
  }

  /** First writer wins; a concurrent boot that lost the race re-reads and compares. */
  async insertIfAbsent(client: PrismaClient, version: number, verifier: Buffer): Promise<void> {
    await client.masterKeyVerifier.createMany({
      data: [{ version, verifier: new Uint8Array(verifier) }],
      skipDuplicates: true,
    });
  }
}
