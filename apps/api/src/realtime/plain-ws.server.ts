import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AuthError, AuthErrorCode } from '@pantheon/auth';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { ProjectEvent, ProjectEventListener, REDIS, SubscribeRequest } from '@pantheon/events';
import type Redis from 'ioredis';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import { clientAddress, TrustFn, trustFromConfig } from '../common/client-address';
import { ProjectSubscriptionService } from './project-subscription.service';
import { SocketAuthService, SocketSession } from './socket-auth.service';
import { SocketRateLimiter } from './socket-rate.limiter';
import { parseSubscribeRequest, roomOf } from './subscribe.dto';

/** The subprotocol the server answers with; a client may offer its token as a second one. */
export const PLAIN_WS_PROTOCOL = 'pantheon.v1';
/** Largest message a client may send (a subscribe is ~100 bytes; an auth message carries a token). */
export const PLAIN_WS_MAX_MESSAGE_BYTES = 16 * 1024;
/** Time to authenticate by message after connecting. */
const AUTH_DEADLINE_MS = 10_000;
const HEARTBEAT_MS = 30_000;
const MESSAGES_PER_WINDOW = 30;
const MESSAGE_WINDOW_MS = 10_000;
const MAX_SUBSCRIPTIONS = 256;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Close codes (4000-4999 are the application's): the client can tell why without parsing text. */
export const PLAIN_WS_CLOSE = { unauthorized: 4401, forbidden: 4403, tooMany: 4429, expired: 4001, badMessage: 4400 } as const;

interface Connection {
  ws: WebSocket;
  id: string;
  ip: string;
  session: SocketSession | null;
  rooms: Set<string>;
  alive: boolean;
  expiryTimer?: NodeJS.Timeout;
}

type ClientMessage = { type?: unknown; token?: unknown } & Record<string, unknown>;

/** A JWT-shaped value offered as a subprotocol (header tokens: letters, digits, `-_.`). */
function tokenFromProtocols(header: string | undefined): string | undefined {
  const offered = (header ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  return offered.find((p) => p !== PLAIN_WS_PROTOCOL && p.split('.').length === 3);
}

/**
 * The original product's plain RFC 6455 protocol beside socket.io, at `PLAIN_WS_PATH` (`/ws`): JSON messages
 * `{type: "subscribe" | "unsubscribe", channel: "project-updates"}` or `{…, projectId, lastSeq?}`, answered with
 * `{type: "ack"}` or `{type: "error"}`; events arrive as `{type: "project:update", data}`. The same auth as
 * socket.io (the token as a `Sec-WebSocket-Protocol` value or a first `{type: "auth", token}` message), the same
 * ownership check and the same replay. When socket.io shares the path, its clients are told apart by `EIO=`.
 */
@Injectable()
export class PlainWsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PlainWsServer');
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: PLAIN_WS_MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(PLAIN_WS_PROTOCOL) ? PLAIN_WS_PROTOCOL : false),
  });
  private readonly connections = new Set<Connection>();
  /** Authenticated connections by user: an event is looked at only by its owner's sockets. */
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly limiter = new SocketRateLimiter(MESSAGES_PER_WINDOW, MESSAGE_WINDOW_MS);
  private readonly trust: TrustFn;
  private listener?: ProjectEventListener;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: SocketAuthService,
    private readonly subscriptions: ProjectSubscriptionService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.trust = trustFromConfig(config);
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    // Other upgrade handlers (socket.io's engine) end sockets they do not serve after a second: they only see
    // what is not ours.
    const others = server.listeners('upgrade') as ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.isPlain(req)) this.upgrade(req, socket, head);
      else for (const handler of others) handler.call(server, req, socket, head);
    });
    this.listener = new ProjectEventListener(this.redis.duplicate({ keyPrefix: '' }), this.config.REDIS_PREFIX);
    this.listener.start((userId, event) => this.deliver(userId, event));
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const c of this.connections) c.ws.close(1001, 'server shutting down');
    await this.listener?.stop();
    this.wss.close();
  }

  private isPlain(req: IncomingMessage): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    return url.pathname === this.config.PLAIN_WS_PATH && !url.searchParams.has('EIO');
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '');
    // A client that offers subprotocols must get one back: refuse clearly rather than let the browser fail.
    if (protocols && !protocols.split(',').map((p) => p.trim()).includes(PLAIN_WS_PROTOCOL)) {
      socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n\r\nOffer the "${PLAIN_WS_PROTOCOL}" subprotocol\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const ip = clientAddress(req.socket.remoteAddress ?? 'unknown', req.headers['x-forwarded-for'], this.trust);
    const conn: Connection = { ws, id: randomUUID(), ip, session: null, rooms: new Set(), alive: true };
    this.connections.add(conn);
    ws.on('pong', () => (conn.alive = true));
    ws.on('close', () => this.forget(conn));
    ws.on('error', () => ws.terminate());
    const deadline = setTimeout(() => {
      if (!conn.session) ws.close(PLAIN_WS_CLOSE.unauthorized, 'authentication required');
    }, AUTH_DEADLINE_MS);
    deadline.unref();
    ws.on('message', (data, isBinary) => void this.onMessage(conn, data, isBinary));
    const offered = tokenFromProtocols(req.headers['sec-websocket-protocol']);
    if (offered) void this.authenticate(conn, offered);
  }

  private async onMessage(conn: Connection, data: RawData, isBinary: boolean): Promise<void> {
    if (!this.limiter.allow(conn)) return this.send(conn, { type: 'error', message: 'too many messages; slow down' });
    let msg: ClientMessage;
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(data.toString()) as ClientMessage;
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error('shape');
    } catch {
      return this.send(conn, { type: 'error', message: 'messages are JSON objects with a "type"' });
    }
    if (msg.type === 'auth') {
      if (conn.session) return this.send(conn, { type: 'error', action: 'auth', message: 'already authenticated' });
      if (typeof msg.token !== 'string' || !msg.token) return this.send(conn, { type: 'error', action: 'auth', message: 'token must be a string' });
      return this.authenticate(conn, msg.token.replace(/^Bearer\s+/i, ''));
    }
    if (msg.type === 'ping') return this.send(conn, { type: 'pong' });
    if (!conn.session) return this.send(conn, { type: 'error', message: 'authenticate first: {"type":"auth","token":"<access token>"}' });
    if (msg.type === 'subscribe' || msg.type === 'unsubscribe') {
      const { type, ...body } = msg;
      const parsed = parseSubscribeRequest(body);
      if (!parsed.ok) return this.send(conn, { type: 'error', action: type, message: parsed.error });
      return type === 'subscribe' ? this.subscribe(conn, parsed.request) : this.unsubscribe(conn, parsed.request);
    }
    return this.send(conn, { type: 'error', message: 'unknown type; use auth, subscribe, unsubscribe or ping' });
  }

  private async authenticate(conn: Connection, token: string): Promise<void> {
    let session: SocketSession;
    try {
      session = await this.auth.authenticate({ auth: { token }, headers: {} }, conn.id, conn.ip);
    } catch (err) {
      if (!(err instanceof AuthError)) this.logger.error({ ip: conn.ip, err: (err as Error).message }, 'plain socket authentication failed');
      const forbidden = err instanceof AuthError && err.code === AuthErrorCode.FORBIDDEN;
      conn.ws.close(forbidden ? PLAIN_WS_CLOSE.forbidden : PLAIN_WS_CLOSE.unauthorized, forbidden ? 'forbidden' : 'invalid or expired token');
      return;
    }
    const userId = session.user.id;
    const own = this.byUser.get(userId) ?? new Set<Connection>();
    if (own.size >= this.config.PLAIN_WS_MAX_PER_USER) {
      conn.ws.close(PLAIN_WS_CLOSE.tooMany, `at most ${this.config.PLAIN_WS_MAX_PER_USER} sockets per user`);
      return;
    }
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.session = session;
    this.byUser.set(userId, own.add(conn));
    // This process receives a user's events only while it has sockets of theirs (forget() unfollows).
    const following = this.listener?.follow(userId);
    // Like socket.io: a socket does not outlive its token.
    conn.expiryTimer = setTimeout(() => conn.ws.close(PLAIN_WS_CLOSE.expired, 'token expired'), Math.min(session.expiresAt * 1000 - Date.now(), MAX_TIMER_MS));
    conn.expiryTimer.unref();
    try {
      await following;
    } catch (err) {
      this.logger.error({ userId, err: (err as Error).message }, 'plain socket: following the user\'s events failed');
      conn.ws.close(1011, 'internal error');
      return;
    }
    this.send(conn, { type: 'authenticated', userId });
  }

  private async subscribe(conn: Connection, request: SubscribeRequest): Promise<void> {
    const user = conn.session!.user;
    const target = 'channel' in request ? { channel: request.channel } : { projectId: request.projectId };
    if (!conn.rooms.has(roomOf(user.id, request)) && conn.rooms.size >= MAX_SUBSCRIPTIONS) {
      return this.send(conn, { type: 'error', action: 'subscribe', ...target, message: 'too many subscriptions' });
    }
    try {
      const room = await this.subscriptions.roomFor(user, request);
      if (!room) return this.send(conn, { type: 'error', action: 'subscribe', ...target, message: 'project not found' });
      conn.rooms.add(room);
      const missed = request.lastSeq === undefined ? [] : await this.subscriptions.missed(user, request, request.lastSeq);
      this.send(conn, { type: 'ack', action: 'subscribe', ...target, replayed: missed.length });
      for (const event of missed) this.send(conn, { type: 'project:update', data: event });
    } catch (err) {
      this.logger.error({ userId: user.id, err: (err as Error).message }, 'plain subscribe failed');
      this.send(conn, { type: 'error', action: 'subscribe', ...target, message: 'internal error' });
    }
  }

  private unsubscribe(conn: Connection, request: SubscribeRequest): void {
    conn.rooms.delete(roomOf(conn.session!.user.id, request));
    this.send(conn, { type: 'ack', action: 'unsubscribe', ...('channel' in request ? { channel: request.channel } : { projectId: request.projectId }) });
  }

  /** One event of `userId`: to that user's sockets subscribed to all their projects or to this one. */
  private deliver(userId: string, event: ProjectEvent): void {
    const own = this.byUser.get(userId);
    if (!own) return;
    const rooms = [roomOf(userId, { channel: 'project-updates' }), roomOf(userId, { projectId: event.projectId })];
    let message: string | undefined;
    for (const conn of own) {
      if (!rooms.some((r) => conn.rooms.has(r))) continue;
      // Serialised once per event, not per socket.
      message ??= JSON.stringify({ type: 'project:update', data: event });
      if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(message);
    }
  }

  private beat(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  private forget(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    clearTimeout(conn.expiryTimer);
    if (conn.session) {
      const userId = conn.session.user.id;
      const own = this.byUser.get(userId);
      own?.delete(conn);
      if (own?.size === 0) this.byUser.delete(userId);
      this.listener?.unfollow(userId);
    }
  }

  private send(conn: Connection, message: Record<string, unknown>): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(message));
  }
}
