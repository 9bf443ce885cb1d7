import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorageRedisService['increment']>>;

/** The name the rate-limit script is registered under on the shared ioredis client. */
const COMMAND = 'pantheonThrottleHit';

type ThrottleCommand = (hitKey: string, blockKey: string, name: string, ttl: number, limit: number, blockDuration: number) => Promise<unknown>;

function command(redis: object): ThrottleCommand | undefined {
  const fn = (redis as Record<string, unknown>)[COMMAND];
  return typeof fn === 'function' ? (fn.bind(redis) as ThrottleCommand) : undefined;
}

/**
 * The throttler's Redis storage, with its counting script registered once and run by SHA (EVALSHA; ioredis loads
 * it again after a Redis restart) instead of sent in full with every request: same script, same keys, same
 * answers, a fraction of the bytes Redis reads and hashes per request.
 */
export class RedisThrottlerStorage extends ThrottlerStorageRedisService {
  private readonly hit: ThrottleCommand;

  constructor(redis: Redis) {
    super(redis);
    if (!command(redis)) redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: this.scriptSrc });
    this.hit = command(redis)!;
  }

  override async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const hitKey = `{${key}:${throttlerName}}:hits`;
    const blockKey = `{${key}:${throttlerName}}:blocked`;
    const results = await this.hit(hitKey, blockKey, throttlerName, ttl, limit, blockDuration);
    if (!Array.isArray(results) || results.length !== 4 || !results.every((v) => typeof v === 'number')) {
      throw new TypeError(`the rate-limit script answered ${JSON.stringify(results)}`);
    }
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = results as number[];
    return {
      totalHits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked: isBlocked === 1,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    };
  }
}
