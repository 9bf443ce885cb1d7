import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { assertKeyPrefix } from './project-event.publisher';

export interface RedisJsonCacheOptions {
  /** The deployment's REDIS_PREFIX; the client's keyPrefix must be `${redisPrefix}:`. */
  redisPrefix: string;
}

/**
 * JSON values cached in Redis under the deployment's key prefix, shared by every replica. The cache is an
 * optimisation only: when Redis fails the value is loaded (and the failure logged), never an error.
 * Cache only what any holder of the key may see (no key material: keys are readable in Redis).
 */
export class RedisJsonCache {
  private readonly logger = new Logger('RedisJsonCache');

  constructor(
    private readonly redis: Redis,
    options: RedisJsonCacheOptions,
  ) {
    assertKeyPrefix(redis, options.redisPrefix);
  }

  /**
   * The cached value of `key` (relative to the prefix), or `loader()`'s result, stored for `ttlSeconds`.
   * A ttl of 0 or less turns caching off: nothing is read or stored. A rejected loader stores nothing.
   */
  async getOrLoad<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T> {
    if (ttlSeconds <= 0) return loader();
    const cached = await this.redis.get(key).catch((err: Error) => {
      this.logger.warn({ key, err: err.message }, 'cache read failed');
      return null;
    });
    if (cached !== null) return JSON.parse(cached) as T;
    const value = await loader();
    await this.redis.set(key, JSON.stringify(value), 'EX', Math.ceil(ttlSeconds)).catch((err: Error) =>
      this.logger.warn({ key, err: err.message }, 'cache write failed'),
    );
    return value;
  }

  /** Drops the cached value of `key`; rejects when Redis fails (a stale value would otherwise survive). */
  async invalidate(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
