export { RedisModule, RedisModuleOptions, REDIS, pingRedis } from './redis.module';
