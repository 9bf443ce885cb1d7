import { Global, Inject, Injectable, Module, OnModuleDestroy, DynamicModule } from '@nestjs/common';
import Redis from 'ioredis';

/** Injection token for the process-wide ioredis client (commands only; pub/sub gets its own connections). */
export const REDIS = Symbol('REDIS');
const REDIS_OPTIONS = Symbol('REDIS_OPTIONS');

export interface RedisModuleOptions {
  url: string;
  /** Prepended to every key this client touches (ioredis keyPrefix). */
  keyPrefix: string;
  connectionName?: string;
}

@Injectable()
class RedisLifecycle implements OnModuleDestroy {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** libs/events owns every Redis connection of a process. */
@Global()
@Module({})
export class RedisModule {
  static forRootAsync(opts: { useFactory: (...args: any[]) => RedisModuleOptions; inject?: any[] }): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS_OPTIONS, useFactory: opts.useFactory, inject: opts.inject ?? [] },
        {
          provide: REDIS,
          inject: [REDIS_OPTIONS],
          useFactory: (o: RedisModuleOptions) =>
            new Redis(o.url, {
              keyPrefix: `${o.keyPrefix}:`,
              connectionName: o.connectionName,
              // Fail fast instead of queueing commands forever while Redis is down (readiness reports it).
              maxRetriesPerRequest: 2,
              enableOfflineQueue: true,
              lazyConnect: false,
              // Commands issued in the same tick share one write: under load every request's throttle counter
              // and cache-generation read would otherwise each cost a socket write of their own.
              enableAutoPipelining: true,
            }),
        },
        RedisLifecycle,
      ],
      exports: [REDIS],
    };
  }
}

/** Round-trips a PING; rejects when Redis is unreachable within `timeoutMs`. */
export async function pingRedis(redis: Redis, timeoutMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('redis ping timed out')), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
