import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { REDIS, UserGenerations } from '@pantheon/events';
import type Redis from 'ioredis';
import { GatewayCache } from './gateway-cache';

/** Global: the services whose changes the gateway caches must see (keys, tokens, projects, settings) invalidate it. */
@Global()
@Module({
  providers: [
    {
      provide: UserGenerations,
      inject: [REDIS, APP_CONFIG],
      useFactory: (redis: Redis, c: AppConfig) => new UserGenerations(redis, { redisPrefix: c.REDIS_PREFIX }),
    },
    GatewayCache,
  ],
  exports: [GatewayCache],
})
export class GatewayCacheModule {}
