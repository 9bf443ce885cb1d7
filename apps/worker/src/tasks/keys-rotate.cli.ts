#!/usr/bin/env node
import { loadConfigSlice } from '@pantheon/config';
import { KeyRing } from '@pantheon/crypto';
import { UserGenerations } from '@pantheon/events';
import Redis from 'ioredis';
import { rotateProviderKeys } from './keys-rotate';

/** `npm run keys:rotate`: re-encrypts all provider keys under the newest PANTHEON_MASTER_KEYS version. */
async function main(): Promise<void> {
  // *_FILE variants are read by loadConfigSlice.
  const config = loadConfigSlice(['DATABASE_WORKER_URL', 'PANTHEON_MASTER_KEYS', 'REDIS_URL', 'REDIS_PREFIX']);
  const spec = config.PANTHEON_MASTER_KEYS;
  if (!config.DATABASE_WORKER_URL) throw new Error('DATABASE_WORKER_URL is required for key rotation');
  if (!spec) throw new Error('PANTHEON_MASTER_KEYS (or PANTHEON_MASTER_KEYS_FILE) is required');
  // The API's gateway caches decrypted keys per process: each owner's generation is moved on as their keys rotate.
  const redis = new Redis(config.REDIS_URL, { keyPrefix: `${config.REDIS_PREFIX}:`, maxRetriesPerRequest: 2, connectionName: 'pantheon-keys-rotate' });
  redis.on('error', () => undefined); // each failed bump is reported where it happens
  try {
    const result = await rotateProviderKeys({
      connectionString: config.DATABASE_WORKER_URL,
      ring: KeyRing.parse(spec),
      log: (line) => process.stdout.write(`${line}\n`),
      generations: new UserGenerations(redis, { redisPrefix: config.REDIS_PREFIX }),
    });
    process.stdout.write(`keys:rotate done: ${result.rotated} key(s) now under master key version ${result.targetVersion}\n`);
  } finally {
    redis.disconnect();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`keys:rotate failed: ${err.message}\n`);
  process.exitCode = 1;
});
