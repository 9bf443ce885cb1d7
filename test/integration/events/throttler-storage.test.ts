import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { RedisThrottlerStorage } from '@pantheon/api/testing';
import { requiredEnv } from '../../support/db';

describe('RedisThrottlerStorage (the rate limiter script run by SHA) against the real Redis', () => {
  // Under the run's prefix, so test/run.sh removes every key afterwards.
  const prefix = `${requiredEnv('REDIS_PREFIX')}:throttle-it-${randomBytes(4).toString('hex')}`;
  let raw: Redis;
  let prefixed: Redis;

  before(() => {
    raw = new Redis(requiredEnv('REDIS_URL'));
    // As the API's client is configured: key prefix and auto-pipelining.
    prefixed = new Redis(requiredEnv('REDIS_URL'), { keyPrefix: `${prefix}:`, enableAutoPipelining: true });
  });
  after(async () => {
    await Promise.all([raw.quit(), prefixed.quit()]);
  });

  it('answers exactly as the library storage does, hit for hit, through a block and its expiry', async () => {
    const ours = new RedisThrottlerStorage(prefixed);
    const library = new ThrottlerStorageRedisService(prefixed);
    const sequence = async (storage: ThrottlerStorageRedisService, key: string) => {
      const out = [];
      for (let i = 0; i < 5; i++) out.push(await storage.increment(key, 1000, 3, 600, 'default'));
      await new Promise((r) => setTimeout(r, 700)); // the block (600 ms) ends, the window (1 s) not yet: still over
      out.push(await storage.increment(key, 1000, 3, 600, 'default'));
      return out;
    };
    const [a, b] = await Promise.all([sequence(ours, 'ours'), sequence(library, 'library')]);
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((r) => [r.totalHits, r.isBlocked]),
      [[1, false], [2, false], [3, false], [4, true], [5, true], [6, true]],
    );
    assert.ok(a[3].timeToBlockExpire >= 1, 'a blocked caller is told how long to wait');
    // The counters live under the client's prefix, in the library's key layout.
    assert.equal(await raw.exists(`${prefix}:{ours:default}:hits`), 1);
  });

  it('sends the script by SHA, and still counts after Redis forgot its scripts', async () => {
    const storage = new RedisThrottlerStorage(prefixed);
    await storage.increment('flush', 60_000, 10, 60_000, 'default');
    const before = await commandCalls(raw, 'eval');
    await storage.increment('flush', 60_000, 10, 60_000, 'default');
    assert.equal(await commandCalls(raw, 'eval'), before, 'no EVAL with the script body once it is loaded');
    await raw.script('FLUSH');
    const record = await storage.increment('flush', 60_000, 10, 60_000, 'default');
    assert.equal(record.totalHits, 3);
    assert.equal(record.isBlocked, false);
  });
});

/** How often Redis has run a command (INFO commandstats). */
async function commandCalls(redis: Redis, name: string): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}
