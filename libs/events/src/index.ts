export { RedisModule, RedisModuleOptions, REDIS, pingRedis } from './redis.module';
export * from './queues';
export * from './project-events';
export * from './socket-events';
export { ProjectJobQueue, createBullConnection, EnqueueResult } from './job-queue';
export { ProjectEventPublisher, ProjectEventPublisherOptions, readEventsSince, socketIoKey, eventKeys } from './project-event.publisher';
