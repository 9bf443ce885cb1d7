import { assertMasterKeysMatch, KeyRing, masterKeyVerifier, providerKeyAad, reencryptSecret } from '@pantheon/crypto';
import { createPrismaClient, KeyRotationRepository } from '@pantheon/db';
import type { UserGenerations } from '@pantheon/events';

export interface RotateOptions {
  /** pantheon_worker connection string (the system path; never the app role). */
  connectionString: string;
  ring: KeyRing;
  batchSize?: number;
  log?: (line: string) => void;
  /**
   * Moves each owner's generation on after their keys' batch commits, so API processes reload keys they cached
   * (the plaintext is unchanged, but nothing decrypted under a retiring master key outlives the rotation).
   */
  generations?: Pick<UserGenerations, 'bump'>;
}

export interface RotateResult {
  rotated: number;
  targetVersion: number;
}

/**
 * Re-encrypts every provider key under the newest master key version, in small batches so the API keeps
 * serving (it decrypts any configured version meanwhile). Refuses to start when a configured master key does
 * not match the one recorded in the database.
 */
export async function rotateProviderKeys(opts: RotateOptions): Promise<RotateResult> {
  const log = opts.log ?? (() => undefined);
  const client = createPrismaClient({ connectionString: opts.connectionString, poolMax: 2, applicationName: 'pantheon-keys-rotate' });
  const repo = new KeyRotationRepository(client);
  try {
    assertMasterKeysMatch(opts.ring, await repo.storedVerifiers());
    await repo.storeVerifier(opts.ring.current, masterKeyVerifier(opts.ring, opts.ring.current));
    const target = opts.ring.current;
    let rotated = 0;
    for (;;) {
      const owners = new Set<string>();
      const n = await repo.rotateBatch(target, opts.batchSize ?? 100, (key) => {
        owners.add(key.userId);
        return reencryptSecret(opts.ring, {
          userId: key.userId,
          keyVersion: key.keyVersion,
          ciphertext: key.ciphertext,
          aad: providerKeyAad(key.userId, key.id),
        });
      });
      if (n === 0) break;
      for (const userId of owners) {
        await opts.generations?.bump(userId).catch((err: Error) => log(`generation of user ${userId} not moved on (${err.message}); API caches reload within GATEWAY_CACHE_TTL_MS`));
      }
      rotated += n;
      log(`re-encrypted ${rotated} key(s) so far`);
    }
    const left = await repo.remaining(target);
    if (left > 0) throw new Error(`${left} key(s) are still under an older master key version (locked?); run again`);
    return { rotated, targetVersion: target };
  } finally {
    await client.$disconnect();
  }
}
