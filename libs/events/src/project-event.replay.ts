import type Redis from 'ioredis';
import { assertKeyPrefix, eventKeys } from './project-event.publisher';
import { ProjectEvent } from './project-events';

export interface ProjectEventReplayOptions {
  /** The deployment's REDIS_PREFIX; the client's keyPrefix must be `${redisPrefix}:`. */
  redisPrefix: string;
}

/** Most events one replay returns; a client that gets this many asks again from the last seq it saw. */
export const REPLAY_LIMIT = 1000;
// Stream entries read per XRANGE; a project filter may need several pages to fill the limit.
const PAGE_SIZE = 500;

type StreamEntry = [id: string, fields: string[]];

/** Reads a user's stored project events back (the stream written by ProjectEventPublisher). */
export class ProjectEventReplay {
  constructor(
    private readonly redis: Redis,
    options: ProjectEventReplayOptions,
  ) {
    assertKeyPrefix(redis, options.redisPrefix);
  }

  /**
   * Events of `userId` with seq > `afterSeq`, oldest first, at most `limit`, optionally only those of one
   * project. Events older than the stream's cap are gone; what remains is returned.
   */
  async readSince(userId: string, afterSeq: number, projectId?: string, limit = REPLAY_LIMIT): Promise<ProjectEvent[]> {
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError('afterSeq must be a non-negative integer');
    const key = eventKeys.stream(userId);
    const events: ProjectEvent[] = [];
    let cursor = afterSeq;
    while (events.length < limit) {
      const page = (await this.redis.xrange(key, `(${cursor}-0`, '+', 'COUNT', PAGE_SIZE)) as StreamEntry[];
      for (const [id, fields] of page) {
        cursor = Number(id.slice(0, id.indexOf('-')));
        const event = toEvent(cursor, fields);
        if (!projectId || event.projectId === projectId) events.push(event);
        if (events.length === limit) break;
      }
      if (page.length < PAGE_SIZE) break;
    }
    return events;
  }
}

function toEvent(seq: number, fields: string[]): ProjectEvent {
  const json = fields[fields.indexOf('e') + 1];
  return { ...(JSON.parse(json) as Omit<ProjectEvent, 'seq'>), seq };
}
