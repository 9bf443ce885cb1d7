import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { ProjectEventPublisher, REDIS, ViewerSessionStore } from '@pantheon/events';
import type Redis from 'ioredis';
import { ViewerController, ViewerRelayController } from './viewer.controller';
import { ViewerService } from './viewer.service';
import { ViewerSocketRelay } from './viewer-socket.relay';

/** "Connect": viewer tickets, sessions and the relay of a project's noVNC (HTTP and WebSocket). */
@Module({
  controllers: [ViewerController, ViewerRelayController],
  providers: [
    ViewerService,
    ViewerSocketRelay,
    {
      provide: ViewerSessionStore,
      inject: [REDIS, APP_CONFIG],
      useFactory: (redis: Redis, c: AppConfig) => new ViewerSessionStore(redis, { redisPrefix: c.REDIS_PREFIX }),
    },
    {
      provide: ProjectEventPublisher,
      inject: [REDIS, APP_CONFIG],
      useFactory: (redis: Redis, c: AppConfig) =>
        new ProjectEventPublisher(redis, { redisPrefix: c.REDIS_PREFIX, streamMaxLen: c.EVENTS_STREAM_MAXLEN }),
    },
  ],
  exports: [ViewerSessionStore],
})
export class ViewerModule {}
