import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RedisJsonCache } from '@pantheon/events';
import { requiredEnv } from '../../support/db';

describe('RedisJsonCache against the real Redis', () => {
  // Under the run's prefix, so test/run.sh removes every key afterwards.
  const prefix = `${requiredEnv('REDIS_PREFIX')}:cache-it-${randomBytes(4).toString('hex')}`;
  let raw: Redis;
  let prefixed: Redis;
  let cache: RedisJsonCache;

  before(() => {
    raw = new Redis(requiredEnv('REDIS_URL'));
    prefixed = new Redis(requiredEnv('REDIS_URL'), { keyPrefix: `${prefix}:` });
    cache = new RedisJsonCache(prefixed, { redisPrefix: prefix });
  });
  after(async () => {
    await Promise.all([raw.quit(), prefixed.quit()]);
  });

  /** A loader that counts its calls. */
  const counting = <T>(value: T) => {
    const loader = async () => {
      loader.calls += 1;
      return value;
    };
    loader.calls = 0;
    return loader;
  };

  it('loads on a miss, stores the JSON under the prefix with the TTL, and serves the next call from Redis', async () => {
    const models = [{ id: 'openai/gpt-x', contextLength: 128000 }];
    const loader = counting(models);
    assert.deepEqual(await cache.getOrLoad('models:u1:openai', 60, loader), models);
    assert.deepEqual(await cache.getOrLoad('models:u1:openai', 60, loader), models);
    assert.equal(loader.calls, 1);

    assert.equal(await raw.get(`${prefix}:models:u1:openai`), JSON.stringify(models));
    const ttl = await raw.ttl(`${prefix}:models:u1:openai`);
    assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
  });

  it('caches falsy JSON values too', async () => {
    const loader = counting([] as string[]);
    await cache.getOrLoad('empty', 60, loader);
    assert.deepEqual(await cache.getOrLoad('empty', 60, loader), []);
    assert.equal(loader.calls, 1);
  });

  it('loads again after invalidate()', async () => {
    const loader = counting({ v: 1 });
    await cache.getOrLoad('inv', 60, loader);
    await cache.invalidate('inv');
    assert.equal(await raw.exists(`${prefix}:inv`), 0);
    await cache.getOrLoad('inv', 60, loader);
    assert.equal(loader.calls, 2);
  });

  it('with a TTL of 0 neither reads nor stores', async () => {
    await prefixed.set('off', JSON.stringify('stale'));
    const loader = counting('fresh');
    assert.equal(await cache.getOrLoad('off', 0, loader), 'fresh');
    assert.equal(await cache.getOrLoad('fresh-off', 0, loader), 'fresh');
    assert.equal(loader.calls, 2);
    assert.equal(await raw.exists(`${prefix}:fresh-off`), 0);
  });

  it('stores nothing when the loader fails', async () => {
    await assert.rejects(cache.getOrLoad('boom', 60, async () => Promise.reject(new Error('provider down'))), /provider down/);
    assert.equal(await raw.exists(`${prefix}:boom`), 0);
  });

  it('falls back to the loader when Redis is unreachable', async () => {
    // Loopback port 1: nothing listens; no offline queue, so every command fails at once.
    const down = new Redis('redis://127.0.0.1:1', { keyPrefix: `${prefix}:`, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    try {
      const loader = counting({ ok: true });
      assert.deepEqual(await new RedisJsonCache(down, { redisPrefix: prefix }).getOrLoad('k', 60, loader), { ok: true });
      assert.equal(loader.calls, 1);
    } finally {
      down.disconnect();
    }
  });

  it('refuses a client whose key prefix is not the deployment\'s', () => {
    assert.throws(() => new RedisJsonCache(raw, { redisPrefix: prefix }), /keyPrefix/);
  });
});
