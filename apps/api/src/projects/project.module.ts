import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { ProjectEventPublisher, REDIS } from '@pantheon/events';
import type Redis from 'ioredis';
import { ProjectController } from './project.controller';
import { ProjectQueue } from './project-queue.provider';
import { ProjectService } from './project.service';
import { ViewerModule } from '../viewer/viewer.module';

@Module({
  imports: [ViewerModule],
  controllers: [ProjectController],
  providers: [
    ProjectService,
    ProjectQueue,
    {
      provide: ProjectEventPublisher,
      inject: [REDIS, APP_CONFIG],
      useFactory: (redis: Redis, c: AppConfig) =>
        new ProjectEventPublisher(redis, { redisPrefix: c.REDIS_PREFIX, streamMaxLen: c.EVENTS_STREAM_MAXLEN }),
    },
  ],
})
export class ProjectModule {}
