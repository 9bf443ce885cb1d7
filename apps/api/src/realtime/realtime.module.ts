import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { ProjectEventReplay, REDIS } from '@pantheon/events';
import type Redis from 'ioredis';
import { PlainWsServer } from './plain-ws.server';
import { ProjectEventsSocket } from './project-events.socket';
import { ProjectSubscriptionService } from './project-subscription.service';
import { SocketAuthService } from './socket-auth.service';

/**
 * Realtime project events over socket.io (the server itself is set up by RedisIoAdapter in createApp) and over the
 * plain WebSocket protocol at PLAIN_WS_PATH.
 */
@Module({})
export class RealtimeModule {
  /**
   * `auth` is the application's AuthModule, passed by reference so sockets and HTTP share one token verifier
   * (and its JWKS cache) instead of a second instance.
   */
  static forRoot(auth: DynamicModule): DynamicModule {
    return {
      module: RealtimeModule,
      imports: [auth],
      providers: [
        ProjectEventsSocket,
        PlainWsServer,
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
