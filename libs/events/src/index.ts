export { RedisModule, RedisModuleOptions, REDIS, pingRedis } from './redis.module';
export * from './queues';
export * from './project-events';
export * from './socket-events';
export { ProjectJobQueue, createBullConnection, EnqueueResult } from './job-queue';
export { ProjectEventPublisher, ProjectEventPublisherOptions, socketIoKey, eventKeys } from './project-event.publisher';
export { ProjectEventReplay, ProjectEventReplayOptions, REPLAY_LIMIT } from './project-event.replay';
export { RedisIoAdapter, RedisIoAdapterOptions } from './redis-io.adapter';
