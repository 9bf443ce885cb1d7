import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import type { ViewerSession } from '@pantheon/events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { RawData, WebSocketServer } from 'ws';
import { mapError } from '../common/error-map';
import { RfbInputFilter, RfbProtocolError } from './rfb-input.filter';
import { viewerSecret } from './viewer.http';
import { SESSION_ID_RE, ViewerService } from './viewer.service';

/** `/viewer/<session>/websockify`, the WebSocket noVNC opens (the `path` the redirect gives it). */
const SOCKET_PATH = /^\/viewer\/([^/?]+)\/websockify(?:\?.*)?$/;
/** Largest WebSocket message accepted from the browser (a pasted clipboard text). */
const MAX_BROWSER_MESSAGE = 16 * 1024 * 1024 + 64;
/** WebSocket close codes the browser sees (4000-4999 are the application's). */
export const VIEWER_CLOSE = { ENDED: 4001, PROTOCOL: 4002, UPSTREAM: 4003 } as const;

interface OpenViewer {
  session: ViewerSession;
  filter: RfbInputFilter;
  browser: WebSocket;
  vm: WebSocket;
  /** Browser traffic since the last check (what keeps a session from going idle). */
  active: boolean;
}

/**
 * Relays noVNC's WebSocket to the VM's viewer (`/websockify` on port 8006, bridged there to its VNC server),
 * browser → VM through RfbInputFilter (which drops input of view-only sessions). Handles upgrades under
 * `/viewer/`, leaves socket.io's path (WS_PATH) to socket.io and refuses every other upgrade. Open sockets re-check their session every
 * VIEWER_CHECK_INTERVAL_MS and are closed once it has ended, its project stopped or was deleted, or its user
 * lost access.
 */
@Injectable()
export class ViewerSocketRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ViewerSocketRelay');
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BROWSER_MESSAGE, perMessageDeflate: false });
  private readonly open = new Set<OpenViewer>();
  private timer?: NodeJS.Timeout;
  private server?: Server;
  private checking = false;
  private droppedTotal = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly viewer: ViewerService,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
    this.timer = setInterval(() => void this.checkAll(), this.config.VIEWER_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.server?.off('upgrade', this.onUpgrade);
    for (const v of this.open) this.end(v, 1001, 'server shutting down');
    this.wss.close();
  }

  /** Open viewer sockets on this replica (for tests and metrics). */
  get openCount(): number {
    return this.open.size;
  }

  /** Input messages of view-only viewers dropped by this replica since it started (for tests and metrics). */
  get droppedInputCount(): number {
    return this.droppedTotal;
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '';
    // socket.io's own (engine.io matches its path plus "/" as a prefix); it is told not to end other upgrades
    // (RedisIoAdapter), so upgrades that are neither its nor a viewer's are refused here.
    if (url.startsWith(`${this.config.WS_PATH.replace(/\/$/, '')}/`)) return;
    // The plain WebSocket protocol (realtime/plain-ws.server.ts) answers its own path.
    if (url.split('?')[0] === this.config.PLAIN_WS_PATH) return;
    if (!url.startsWith('/viewer/')) return refuse(socket, 404, 'Not Found');
    const match = SOCKET_PATH.exec(url);
    if (!match || !SESSION_ID_RE.test(match[1])) return refuse(socket, 404, 'Not Found');
    // A page of another site cannot open a viewer's socket (the SameSite=Strict cookie already says so).
    const origin = req.headers.origin;
    if (origin !== undefined && safeHost(origin) !== req.headers.host) return refuse(socket, 403, 'Forbidden');
    void this.viewer.authorize(match[1], viewerSecret(req.headers.cookie)).then(
      ({ session, upstream }) => {
        this.wss.handleUpgrade(req, socket, head, (browser) => this.bridge(session, browser, `${upstream.replace(/^http/, 'ws')}/websockify`));
      },
      (err: unknown) => {
        const mapped = mapError(err);
        if (mapped.status >= 500) this.logger.error({ err: mapped.log ?? err }, 'viewer socket refused');
        refuse(socket, mapped.status, mapped.message);
      },
    );
  };

  private bridge(session: ViewerSession, browser: WebSocket, vmUrl: string): void {
    const vm = new WebSocket(vmUrl, browser.protocol ? [browser.protocol] : [], { perMessageDeflate: false, handshakeTimeout: 10_000 });
    const filter = new RfbInputFilter(session.viewOnly);
    const entry: OpenViewer = { session, filter, browser, vm, active: true };
    this.open.add(entry);
    const early: Buffer[] = [];
    browser.on('message', (data: RawData) => {
      entry.active = true;
      let out: Buffer;
      const droppedBefore = filter.droppedCount;
      try {
        out = filter.push(toBuffer(data));
        this.droppedTotal += filter.droppedCount - droppedBefore;
      } catch (err) {
        if (!(err instanceof RfbProtocolError)) throw err;
        this.logger.warn({ projectId: session.projectId, userId: session.userId, reason: err.message }, 'viewer stream refused');
        return this.end(entry, VIEWER_CLOSE.PROTOCOL, 'unexpected VNC message');
      }
      if (out.length === 0) return;
      if (vm.readyState === WebSocket.OPEN) vm.send(out, { binary: true });
      else early.push(out);
    });
    vm.on('open', () => {
      for (const chunk of early.splice(0)) vm.send(chunk, { binary: true });
    });
    vm.on('message', (data: RawData) => {
      if (browser.readyState === WebSocket.OPEN) browser.send(toBuffer(data), { binary: true });
    });
    vm.on('error', () => this.end(entry, VIEWER_CLOSE.UPSTREAM, "the project's viewer is not answering"));
    vm.on('close', () => this.end(entry, VIEWER_CLOSE.UPSTREAM, "the project's viewer closed the connection"));
    browser.on('error', () => this.end(entry, 1011, 'error'));
    browser.on('close', () => this.end(entry, 1000, 'closed'));
    this.logger.log({ projectId: session.projectId, userId: session.userId, viewOnly: session.viewOnly }, 'viewer connected');
  }

  private end(entry: OpenViewer, code: number, reason: string): void {
    if (!this.open.delete(entry)) return;
    for (const ws of [entry.browser, entry.vm]) {
      if (ws.readyState === WebSocket.OPEN) ws.close(ws === entry.browser ? code : 1000, reason);
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    }
    // A peer that does not answer the close handshake is cut off.
    setTimeout(() => {
      entry.browser.terminate();
      entry.vm.terminate();
    }, 5_000).unref();
    this.logger.log(
      { projectId: entry.session.projectId, userId: entry.session.userId, code, viewOnly: entry.session.viewOnly, dropped: entry.filter.droppedCount },
      'viewer disconnected',
    );
  }

  /** Closes sockets whose session ended, whose project stopped or went away, or whose user lost access. */
  private async checkAll(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const entry of [...this.open]) {
        const active = entry.active;
        entry.active = false;
        const allowed = await this.viewer.stillAllowed(entry.session, active).catch((err: Error) => {
          // Redis or the database failing is not the user's doing: keep the viewer, check again next time.
          this.logger.warn({ projectId: entry.session.projectId, err: err.message }, 'viewer check failed');
          return true;
        });
        if (!allowed) this.end(entry, VIEWER_CLOSE.ENDED, 'the viewer session has ended');
      }
    } finally {
      this.checking = false;
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ statusCode: status, message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 403 ? 'Forbidden' : 'Refused'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
