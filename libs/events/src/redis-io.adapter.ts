import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import { socketIoKey } from './project-event.publisher';

export interface RedisIoAdapterOptions {
  redisUrl: string;
  /** The deployment's REDIS_PREFIX: the adapter's channels are `<prefix>:socket.io#…`. */
  redisPrefix: string;
  /** socket.io endpoint path (WS_PATH). */
  path: string;
  /** Browser origins allowed to connect; empty = none (same-origin and non-browser clients only). */
  corsOrigins: string[];
  /** Refuse HTTP long-polling (several API processes behind one port cannot keep a polling session together). */
  websocketOnly?: boolean;
}

// Client messages are small JSON requests; anything bigger is refused by engine.io before parsing.
const MAX_MESSAGE_BYTES = 16 * 1024;

/**
 * socket.io server factory for Nest: our path and CORS, and the Redis adapter so that a broadcast (from
 * any replica, or from the worker's emitter) reaches the sockets of every replica. Owns its two Redis
 * connections (publish and subscribe), closed when the app shuts down.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly logger = new Logger('RedisIoAdapter');
  private clients: Redis[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly options: RedisIoAdapterOptions,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const pub = this.connect('pantheon-api-io-pub');
    const sub = this.connect('pantheon-api-io-sub');
    return super.createIOServer(port, {
      ...options,
      path: this.options.path,
      serveClient: false,
      maxHttpBufferSize: MAX_MESSAGE_BYTES,
      ...(this.options.websocketOnly ? { transports: ['websocket' as const] } : {}),
      // engine.io would end every other WebSocket upgrade after 1 s unless answered by then, racing other
      // upgrade handlers that check credentials first (the API's viewer relay); the API's upgrade router
      // answers upgrades that belong to nobody instead (apps/api viewer-socket.relay.ts).
      destroyUpgrade: false,
      cors: { origin: this.options.corsOrigins.length > 0 ? this.options.corsOrigins : false, credentials: true },
      adapter: createAdapter(pub, sub, { key: socketIoKey(this.options.redisPrefix) }),
    });
  }

  override async dispose(): Promise<void> {
    const clients = this.clients;
    this.clients = [];
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private connect(connectionName: string): Redis {
    const client = new Redis(this.options.redisUrl, {
      connectionName,
      // The adapter fires commands without handling rejections: queue them until Redis is back rather than
      // rejecting (an unhandled rejection would end the process). Subscriptions are restored on reconnect.
      maxRetriesPerRequest: null,
    });
    client.on('error', (err: Error) => this.logger.warn({ connection: connectionName, err: err.message }, 'redis connection error'));
    this.clients.push(client);
    return client;
  }
}
