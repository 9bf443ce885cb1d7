import { Emitter } from '@socket.io/redis-emitter';
import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import { PROJECT_STATUSES, ProjectEvent, ProjectEventInput } from './project-events';
import { projectRoom, ServerToClientEvents, userRoom, ViewerOpenedEvent, WS_NAMESPACE } from './socket-events';

export interface ProjectEventPublisherOptions {
  /** The deployment's REDIS_PREFIX; the client's keyPrefix must be `${redisPrefix}:`. */
  redisPrefix: string;
  /** Events kept per user for replay (approximate: the stream is trimmed in whole nodes). */
  streamMaxLen: number;
}

/** Redis keys of a user's events, relative to the client's keyPrefix (`<REDIS_PREFIX>:`). */
export const eventKeys = {
  /** Last seq handed out for the user. */
  seq: (userId: string): string => `events:seq:${userId}`,
  /** Capped stream of the user's events; entry id `<seq>-0`, field `e` = the event JSON without seq. */
  stream: (userId: string): string => `events:user:${userId}`,
};

/**
 * Plain pub/sub channel of a user's events, for listeners that are not socket.io (the plain WebSocket protocol):
 * the event JSON, seq included. Channels are not keyPrefix-ed by ioredis, so the prefix is spelled out.
 */
export function userEventsChannel(redisPrefix: string, userId: string): string {
  return `${redisPrefix}:project-events:${userId}`;
}

/**
 * Channel prefix shared by the API's socket.io Redis adapter and the publisher's emitter. ioredis applies
 * keyPrefix to keys only, never to pub/sub channels, so the deployment prefix is spelled out here.
 */
export function socketIoKey(redisPrefix: string): string {
  return `${redisPrefix}:socket.io`;
}

/** Throws unless `redis` prefixes every key with `${redisPrefix}:` (so keys and channels agree). */
export function assertKeyPrefix(redis: Redis, redisPrefix: string): void {
  if (!redisPrefix || redis.options.keyPrefix !== `${redisPrefix}:`) {
    throw new Error(`project events need a Redis client with keyPrefix "${redisPrefix}:"`);
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATUSES: ReadonlySet<string> = new Set(PROJECT_STATUSES);

/** What the stream stores per entry: the event without its seq (the entry id carries it). */
type StoredEvent = Omit<ProjectEvent, 'seq'>;

/**
 * KEYS[1] seq counter, KEYS[2] stream; ARGV[1] event JSON, ARGV[2] max length. Returns the seq.
 * One script, so the counter and the stream id never disagree. If the counter was lost (eviction, a manual
 * flush) while the stream survived, it restarts above the stream's last id: seq never goes backwards.
 */
const APPEND_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if top[1] then
  local last = tonumber(string.match(top[1][1], '^(%d+)'))
  if last >= seq then
    seq = last + 1
    redis.call('SET', KEYS[1], seq)
  end
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'e', ARGV[1])
return seq
`;
const APPEND_COMMAND = 'pantheonAppendProjectEvent';

type AppendingRedis = Redis & {
  [APPEND_COMMAND](seqKey: string, streamKey: string, event: string, maxLen: string): Promise<number>;
};

/**
 * Publishes project events: appends each to the owner's capped stream (for replay after a reconnect) and
 * broadcasts it to the socket.io rooms `user:<owner>` and `project:<id>` of namespace `/ws` on every API
 * replica, through the replicas' Redis adapter. The owner's id travels only in the room names, never in the
 * payload.
 *
 * Ordering: seq is strictly increasing per user. One publisher sends its events to Redis in seq order (one
 * connection, no await between append and broadcast); events of concurrent publishers in other processes
 * may reach clients in a different order than their seq, so clients order by seq.
 */
export class ProjectEventPublisher {
  private readonly redis: AppendingRedis;
  /** The `/ws` namespace's emitter, built once; its PUBLISH goes into `batch`, set around each emit. */
  private readonly emitter: Emitter<ServerToClientEvents>;
  private batch?: ChainableCommander;

  constructor(redis: Redis, private readonly options: ProjectEventPublisherOptions) {
    assertKeyPrefix(redis, options.redisPrefix);
    if (!Number.isSafeInteger(options.streamMaxLen) || options.streamMaxLen < 1) {
      throw new RangeError('streamMaxLen must be a positive integer');
    }
    // defineCommand runs the script by EVALSHA (falling back to EVAL once per connection) and prefixes KEYS.
    redis.defineCommand(APPEND_COMMAND, { numberOfKeys: 2, lua: APPEND_SCRIPT });
    this.redis = redis as AppendingRedis;
    // The emitter calls publish() synchronously inside emit(); the command joins the batch of the event being sent.
    const client = {
      publish: (channel: string, message: Buffer | string): void => {
        if (!this.batch) throw new Error('project events: emit outside a batch');
        this.batch.publish(channel, message);
      },
    };
    this.emitter = new Emitter<ServerToClientEvents>(client, { key: socketIoKey(options.redisPrefix) }).of(WS_NAMESPACE);
  }

  /**
   * Stores and broadcasts one event; resolves with the event as clients receive it. Rejects on invalid
   * input (a programming error) or when Redis fails; if only the broadcast failed, the event is already
   * stored and reaches clients through replay.
   */
  async publish(input: ProjectEventInput): Promise<ProjectEvent> {
    assertInput(input);
    const stored: StoredEvent = {
      projectId: input.projectId,
      status: input.status,
      step: input.step,
      progress: input.progress,
      ...(input.pull !== undefined ? { pull: { image: input.pull.image, percent: input.pull.percent } } : {}),
      ...(input.error !== undefined ? { error: input.error } : {}),
      at: new Date().toISOString(),
    };
    const seq = await this.redis[APPEND_COMMAND](
      eventKeys.seq(input.userId),
      eventKeys.stream(input.userId),
      JSON.stringify(stored),
      String(this.options.streamMaxLen),
    );
    const event: ProjectEvent = { ...stored, seq: Number(seq) };
    // Both broadcasts (socket.io rooms, the plain channel) in one write to Redis.
    await this.send(input.userId, event.projectId, 'project:update', event, (batch) =>
      batch.publish(userEventsChannel(this.options.redisPrefix, input.userId), JSON.stringify(event)),
    );
    return event;
  }

  /** Tells the owner's sockets that a viewer was opened (live only: notices are not kept for replay). */
  async notifyViewerOpened(userId: string, event: ViewerOpenedEvent): Promise<void> {
    if (!UUID_RE.test(userId) || !UUID_RE.test(event.projectId)) throw new TypeError('viewer notice: ids must be lower-case UUIDs');
    await this.send(userId, event.projectId, 'viewer:opened', event);
  }

  /**
   * Emits `name` to the rooms `user:<userId>` and `project:<projectId>`, plus whatever `more` adds, as one
   * pipeline; rejects if any command failed (instead of an unhandled rejection inside the emitter).
   */
  private async send<E extends keyof ServerToClientEvents>(
    userId: string,
    projectId: string,
    name: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
    more?: (batch: ChainableCommander) => void,
  ): Promise<void> {
    const batch = this.redis.pipeline();
    this.batch = batch;
    try {
      this.emitter.to([userRoom(userId), projectRoom(projectId)]).emit(name, ...([payload] as Parameters<ServerToClientEvents[E]>));
    } finally {
      this.batch = undefined;
    }
    more?.(batch);
    const results = (await batch.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
  }
}

/** Ids become Redis key and room names, so they must be canonical (lower-case) UUIDs. */
function assertInput(input: ProjectEventInput): void {
  if (!UUID_RE.test(input.userId)) throw new TypeError('project event: userId must be a lower-case UUID');
  if (!UUID_RE.test(input.projectId)) throw new TypeError('project event: projectId must be a lower-case UUID');
  if (!STATUSES.has(input.status)) throw new TypeError(`project event: unknown status ${String(input.status)}`);
  if (!Number.isInteger(input.progress) || input.progress < 0 || input.progress > 100) {
    throw new TypeError('project event: progress must be an integer 0-100');
  }
}
