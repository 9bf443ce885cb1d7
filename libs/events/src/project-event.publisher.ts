import { Emitter } from '@socket.io/redis-emitter';
import type Redis from 'ioredis';
import { ProjectEvent, ProjectEventInput } from './project-events';
import { projectRoom, userRoom, WS_NAMESPACE } from './socket-events';

export interface ProjectEventPublisherOptions {
  /** The deployment's REDIS_PREFIX (the client's keyPrefix must be `${redisPrefix}:`). */
  redisPrefix: string;
  /** Events kept per user for replay. */
  streamMaxLen: number;
}

/** Redis keys (relative to the client's keyPrefix). */
export const eventKeys = {
  seq: (userId: string) => `events:seq:${userId}`,
  stream: (userId: string) => `events:user:${userId}`,
};

/** Channel key shared by the API's socket.io Redis adapter and this emitter (channels are not key-prefixed). */
export function socketIoKey(redisPrefix: string): string {
  return `${redisPrefix}:socket.io`;
}

// INCR and XADD in one script: the stream id is the seq, so ids and seqs can never disagree or go backwards.
const PUBLISH_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local event = string.gsub(ARGV[1], '"seq":0', '"seq":' .. seq, 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'e', event)
return {seq, event}
`;

/**
 * Publishes project events: appends them to the owner's capped stream (for replay after a reconnect) and
 * broadcasts them to the socket.io rooms `user:<owner>` and `project:<id>` on every API replica through the
 * Redis adapter. The owner's id travels only in the room name, never in the payload.
 */
export class ProjectEventPublisher {
  private readonly emitter: Emitter;

  constructor(
    private readonly redis: Redis,
    private readonly options: ProjectEventPublisherOptions,
  ) {
    this.emitter = new Emitter(redis, { key: socketIoKey(options.redisPrefix) }).of(WS_NAMESPACE);
  }

  async publish(input: ProjectEventInput): Promise<ProjectEvent> {
    const draft: ProjectEvent = {
      projectId: input.projectId,
      status: input.status,
      step: input.step,
      progress: input.progress,
      ...(input.error ? { error: input.error } : {}),
      at: new Date().toISOString(),
      seq: 0,
    };
    const [, json] = (await this.redis.eval(
      PUBLISH_SCRIPT,
      2,
      eventKeys.seq(input.userId),
      eventKeys.stream(input.userId),
      JSON.stringify(draft),
      String(this.options.streamMaxLen),
    )) as [number, string];
    const event = JSON.parse(json) as ProjectEvent;
    this.emitter.to(userRoom(input.userId)).to(projectRoom(input.projectId)).emit('project:update', event);
    return event;
  }
}

/** Reads a user's events after `afterSeq` (oldest first), optionally for one project only. */
export async function readEventsSince(redis: Redis, userId: string, afterSeq: number, projectId?: string): Promise<ProjectEvent[]> {
  const entries = (await redis.xrange(eventKeys.stream(userId), `(${Math.max(0, Math.floor(afterSeq))}-0`, '+', 'COUNT', 1000)) as [string, string[]][];
  const events = entries.map(([, fields]) => JSON.parse(fields[1]) as ProjectEvent);
  return projectId ? events.filter((e) => e.projectId === projectId) : events;
}
