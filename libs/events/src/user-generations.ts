import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { assertKeyPrefix } from './project-event.publisher';

export interface UserGenerationsOptions {
  /** The deployment's REDIS_PREFIX; the client's keyPrefix must be `${redisPrefix}:`. */
  redisPrefix: string;
  /** How long an untouched generation lives; one that expired comes back as a new value (caches reload). */
  ttlSeconds?: number;
}

const DEFAULT_TTL_S = 7 * 86_400;

/** Relative to the client's keyPrefix: `<REDIS_PREFIX>:gen:user:<userId>`. */
export const userGenerationKey = (userId: string): string => `gen:user:${userId}`;

const fresh = (): string => randomBytes(12).toString('base64url');

/**
 * One value per user in Redis that in-process caches of that user's data are tagged with: a cached answer is
 * used only while the user's generation is still the one it was loaded under. Every change that could alter
 * such an answer calls bump() after it commits and before it answers, so the next read in any process reloads.
 *
 * Values are random, not a counter: a key lost to a Redis restart, eviction or expiry comes back as a new
 * value, never as one an old cache entry was tagged with. Holds no user data (keys are readable in Redis).
 */
export class UserGenerations {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    options: UserGenerationsOptions,
  ) {
    assertKeyPrefix(redis, options.redisPrefix);
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_S;
  }

  /** The user's current generation (created when absent). Rejects when Redis cannot be read: callers then skip their cache. */
  async current(userId: string): Promise<string> {
    const key = userGenerationKey(userId);
    const value = await this.redis.get(key);
    if (value !== null) return value;
    // NX: of two processes creating it at once, both end up reading the winner's value.
    await this.redis.set(key, fresh(), 'EX', this.ttlSeconds, 'NX');
    const created = await this.redis.get(key);
    if (created === null) throw new Error('user generation vanished while being created');
    return created;
  }

  /** Invalidates every cache entry of the user's, in every process. Rejects when Redis fails. */
  async bump(userId: string): Promise<void> {
    await this.redis.set(userGenerationKey(userId), fresh(), 'EX', this.ttlSeconds);
  }
}
