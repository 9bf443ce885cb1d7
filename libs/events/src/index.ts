export { RedisModule, RedisModuleOptions, REDIS, pingRedis } from './redis.module';
export * from './queues';
export * from './project-events';
export * from './socket-events';
export { ProjectJobQueue, EnqueueResult } from './job-queue';
export {
  JobQueueFactory, JobQueueFactoryOptions, JobHandler, QueueHandlers, QueueJob, StartWorkersOptions, JOB_COUNT_STATES, JobCountState,
} from './job-queue.factory';
export { RedisJsonCache, RedisJsonCacheOptions } from './redis-json.cache';
export { ProjectEventPublisher, ProjectEventPublisherOptions, socketIoKey, eventKeys, userEventsChannel } from './project-event.publisher';
export { ProjectEventListener } from './project-event.listener';
export { ProjectEventReplay, ProjectEventReplayOptions } from './project-event.replay';
export { RedisIoAdapter, RedisIoAdapterOptions } from './redis-io.adapter';
export {
  ViewerSessionStore, ViewerSessionStoreOptions, ViewerGrant, ViewerSession, TicketRedemption, SessionCreation,
} from './viewer-session.store';
export { UserGenerations, UserGenerationsOptions, userGenerationKey } from './user-generations';
