import type Redis from 'ioredis';
import type { ProjectEvent } from './project-events';
import { userEventsChannel } from './project-event.publisher';

/**
 * Live project events of chosen users, from the plain pub/sub channels the publisher writes beside socket.io's,
 * handed to `onEvent` with the user id. Used by the plain WebSocket protocol, whose sockets are not socket.io
 * sockets and cannot join its rooms. A process follows only the users it has sockets for (`follow`), so it does
 * not receive and parse every user's events.
 */
export class ProjectEventListener {
  private readonly redisPrefix: string;
  private readonly prefixLength: number;
  /** Followers per user: the channel is subscribed while this is above zero. */
  private readonly following = new Map<string, number>();
  private onEvent?: (userId: string, event: ProjectEvent) => void;

  /** `subscriber` must be a dedicated connection (a subscribed client can run nothing else). */
  constructor(
    private readonly subscriber: Redis,
    redisPrefix: string,
  ) {
    this.redisPrefix = redisPrefix;
    this.prefixLength = userEventsChannel(redisPrefix, '').length;
  }

  start(onEvent: (userId: string, event: ProjectEvent) => void): void {
    this.onEvent = onEvent;
    this.subscriber.on('message', (channel: string, message: string) => {
      let event: ProjectEvent;
      try {
        event = JSON.parse(message) as ProjectEvent;
      } catch {
        return;
      }
      this.onEvent?.(channel.slice(this.prefixLength), event);
    });
  }

  /**
   * Starts delivering `userId`'s events (counted: one call per follower, counted at once, so an unfollow() may
   * follow before this resolves). Resolves once Redis confirmed the subscription, so every event published
   * after that reaches `onEvent`; rejects when Redis failed (the follower still calls unfollow()).
   */
  async follow(userId: string): Promise<void> {
    const n = (this.following.get(userId) ?? 0) + 1;
    this.following.set(userId, n);
    // ioredis keeps the set of subscribed channels and restores it after a reconnect.
    await this.subscriber.subscribe(userEventsChannel(this.redisPrefix, userId));
  }

  /** Undoes one follow(); the channel is left when the last follower goes. */
  unfollow(userId: string): void {
    const n = (this.following.get(userId) ?? 0) - 1;
    if (n > 0) {
      this.following.set(userId, n);
      return;
    }
    this.following.delete(userId);
    this.subscriber.unsubscribe(userEventsChannel(this.redisPrefix, userId)).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.onEvent = undefined;
    this.subscriber.disconnect();
  }
}
