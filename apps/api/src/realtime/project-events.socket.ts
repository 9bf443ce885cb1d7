import { Inject, Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { AuthError } from '@pantheon/auth';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { ClientToServerEvents, ServerToClientEvents, SubscribeAck, WS_NAMESPACE } from '@pantheon/events';
import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';
import { clientAddress, TrustFn, trustFromConfig } from '../common/client-address';
import { LogSampler, SAMPLED_LINES_PER_MINUTE } from '../common/log-sampler';
import { ApiMetrics } from '../metrics/api.metrics';
import { ProjectSubscriptionService } from './project-subscription.service';
import { SocketAuthService, SocketSession } from './socket-auth.service';
import { handshakeError } from './socket-error-map';
import { SocketRateLimiter } from './socket-rate.limiter';
import { parseSubscribeRequest, roomOf } from './subscribe.dto';

type WsNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketSession>;
type WsSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketSession>;

const SUBSCRIBE = 'subscribe' satisfies keyof ClientToServerEvents;
const UNSUBSCRIBE = 'unsubscribe' satisfies keyof ClientToServerEvents;
/** Rooms one socket may be in: the user room plus one per project covers the largest project quota. */
const MAX_SUBSCRIPTIONS = 256;
// Each subscribe may cost a database round trip; a socket gets this many per window, the rest are refused.
const SUBSCRIBES_PER_WINDOW = 30;
const SUBSCRIBE_WINDOW_MS = 10_000;
// setTimeout's ceiling; tokens live minutes, so this only guards against absurd `exp` values.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Realtime project updates (namespace `/ws`). The handshake is authenticated by a namespace middleware, so a
 * refused client never gets a socket, let alone a room. Clients ask to `subscribe`; the server decides and
 * joins the room itself (`user:<id>` for all own projects, `project:<id>` after an ownership check under RLS).
 *
 * With `lastSeq`, the events missed since then are sent to that socket after it joined, so nothing published
 * meanwhile is lost; an event published during the subscribe may arrive twice or before older replayed ones.
 * Events are snapshots of a project's state, so a client keeps, per project, the one with the highest seq.
 */
@WebSocketGateway({ namespace: WS_NAMESPACE })
export class ProjectEventsSocket implements OnGatewayInit<WsNamespace>, OnGatewayConnection<WsSocket> {
  private readonly logger = new Logger('ProjectEventsSocket');
  private readonly limiter = new SocketRateLimiter(SUBSCRIBES_PER_WINDOW, SUBSCRIBE_WINDOW_MS);
  // A handshake flood must not write a line per refusal.
  private readonly refusalLog = new LogSampler(SAMPLED_LINES_PER_MINUTE, 60_000, (kind, suppressed, sinceMs) =>
    this.logger.warn({ kind, suppressed, sinceMs }, 'socket refusal log lines held back'),
  );
  private readonly trust: TrustFn;

  constructor(
    private readonly auth: SocketAuthService,
    private readonly subscriptions: ProjectSubscriptionService,
    private readonly metrics: ApiMetrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.trust = trustFromConfig(config);
  }

  afterInit(nsp: WsNamespace): void {
    nsp.use((socket, next) => {
      // The same client address as Express's req.ip: X-Forwarded-For only through TRUST_PROXY's proxies.
      const client = clientAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for'], this.trust);
      this.auth.authenticate(socket.handshake, socket.id, client).then(
        (session) => {
          socket.data = session;
          next();
        },
        (err: unknown) => next(this.refusal(socket, client, err)),
      );
    });
  }

  handleConnection(socket: WsSocket): void {
    const { user, expiresAt } = socket.data;
    this.logger.log({ userId: user.id, socketId: socket.id }, 'socket connected');
    this.metrics.socketConnections.inc({ namespace: WS_NAMESPACE });
    // A socket must not outlive its token: close it at expiry; the client reconnects with a fresh token.
    const timer = setTimeout(() => socket.disconnect(true), Math.min(expiresAt * 1000 - Date.now(), MAX_TIMER_MS));
    timer.unref();
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      this.metrics.socketConnections.dec({ namespace: WS_NAMESPACE });
      this.logger.debug({ userId: user.id, socketId: socket.id, reason }, 'socket disconnected');
    });
  }

  @SubscribeMessage(SUBSCRIBE)
  async subscribe(@ConnectedSocket() socket: WsSocket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    if (!this.limiter.allow(socket)) return { ok: false, error: 'too many requests' };
    const parsed = parseSubscribeRequest(body);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    const { request } = parsed;
    const { user } = socket.data;
    // socket.rooms holds the socket's own id room besides the subscriptions.
    if (!socket.rooms.has(roomOf(user.id, request)) && socket.rooms.size > MAX_SUBSCRIPTIONS) {
      return { ok: false, error: 'too many subscriptions' };
    }
    try {
      const room = await this.subscriptions.roomFor(user, request);
      if (!room) return { ok: false, error: 'project not found' };
      // Joining after a disconnect would leave a stale room entry behind.
      if (!socket.connected) return { ok: false, error: 'disconnected' };
      await socket.join(room);
      const missed = request.lastSeq === undefined ? [] : await this.subscriptions.missed(user, request, request.lastSeq);
      for (const event of missed) socket.emit('project:update', event);
      return { ok: true, room, replayed: missed.length };
    } catch (err) {
      this.logger.error({ userId: user.id, socketId: socket.id, err: (err as Error).message }, 'subscribe failed');
      return { ok: false, error: 'internal error' };
    }
  }

  @SubscribeMessage(UNSUBSCRIBE)
  async unsubscribe(@ConnectedSocket() socket: WsSocket, @MessageBody() body: unknown): Promise<{ ok: boolean }> {
    const parsed = parseSubscribeRequest(body);
    if (!parsed.ok) return { ok: false };
    await socket.leave(roomOf(socket.data.user.id, parsed.request));
    return { ok: true };
  }

  /** Logs why a handshake was refused (never the token; sampled) and returns the error the client sees. */
  private refusal(socket: WsSocket, ip: string, err: unknown): Error {
    const context = { socketId: socket.id, ip };
    this.metrics.socketRefusals.inc({ namespace: WS_NAMESPACE });
    if (err instanceof AuthError) {
      if (this.refusalLog.admit('socket refused')) this.logger.warn({ ...context, code: err.code, reason: err.reason }, 'socket refused');
    } else this.logger.error({ ...context, err: (err as Error).message }, 'socket authentication failed');
    return handshakeError(err);
  }
}
