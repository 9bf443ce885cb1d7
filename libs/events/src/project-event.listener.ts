import type Redis from 'ioredis';
import type { ProjectEvent } from './project-events';
import { userEventsChannel } from './project-event.publisher';

/**
 * Live project events of every user, from the plain pub/sub channels the publisher writes beside socket.io's:
 * one pattern subscription per process, handed to `onEvent` with the user id. Used by the plain WebSocket
 * protocol, whose sockets are not socket.io sockets and cannot join its rooms.
 */
export class ProjectEventListener {
  private readonly pattern: string;
  private readonly prefixLength: number;

  /** `subscriber` must be a dedicated connection (a subscribed client can run nothing else). */
  constructor(
    private readonly subscriber: Redis,
    redisPrefix: string,
  ) {
    this.pattern = userEventsChannel(redisPrefix, '*');
    this.prefixLength = userEventsChannel(redisPrefix, '').length;
  }

  async start(onEvent: (userId: string, event: ProjectEvent) => void): Promise<void> {
    this.subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
      let event: ProjectEvent;
      try {
        event = JSON.parse(message) as ProjectEvent;
      } catch {
        return;
      }
      onEvent(channel.slice(this.prefixLength), event);
    });
    await this.subscriber.psubscribe(this.pattern);
  }

  async stop(): Promise<void> {
    await this.subscriber.punsubscribe(this.pattern).catch(() => undefined);
    this.subscriber.disconnect();
  }
}
