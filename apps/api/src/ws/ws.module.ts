import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { ProjectEventReplay, REDIS } from '@pantheon/events';
import type Redis from 'ioredis';
import { ProjectEventsGateway } from './project-events.gateway';
import { ProjectSubscriptionService } from './project-subscription.service';
import { SocketAuthService } from './socket-auth.service';

/** The socket.io gateway for project events (the server itself is set up by RedisIoAdapter in createApp). */
@Module({})
export class WsModule {
  /**
   * `auth` is the application's AuthModule, passed by reference so sockets and HTTP share one token verifier
   * (and its JWKS cache) instead of a second instance.
   */
  static forRoot(auth: DynamicModule): DynamicModule {
    return {
      module: WsModule,
      imports: [auth],
      providers: [
        ProjectEventsGateway,
        SocketAuthService,
        ProjectSubscriptionService,
        {
          provide: ProjectEventReplay,
          inject: [REDIS, APP_CONFIG],
          useFactory: (redis: Redis, c: AppConfig) => new ProjectEventReplay(redis, { redisPrefix: c.REDIS_PREFIX }),
        },
      ],
    };
  }
}
