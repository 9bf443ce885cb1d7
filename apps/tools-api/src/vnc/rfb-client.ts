import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { ByteReader } from './byte-reader';
import { Framebuffer } from './framebuffer';
import type { KeyCode } from './keysym.map';
import {
  Encoding,
  SecurityType,
  ServerMessage,
  framebufferUpdateRequest,
  keyEventMessage,
  negotiateVersion,
  parseProtocolVersion,
  pointerEventMessage,
  qemuKeyEventMessage,
  setEncodingsMessage,
  setPixelFormatMessage,
  versionMessage,
} from './rfb-protocol';
import { decodeZrle } from './zrle.decoder';
import { ZlibStream } from './zlib-stream';

export interface RfbClientOptions {
  host: string;
  port: number;
  /** Deadline for TCP connect + handshake (default 5000 ms). */
  connectTimeoutMs?: number;
  /** First reconnect delay, doubled per failure up to `maxReconnectDelayMs` (defaults 250 / 5000 ms). */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Encodings offered, in preference order (default ZRLE, CopyRect, Raw and the pseudo-encodings). */
  encodings?: readonly number[];
}

export interface RfbStatus {
  connected: boolean;
  width: number;
  height: number;
  desktopName: string | null;
  lastError: string | null;
  /** performance.now() of the last completed FramebufferUpdate (0 before the first). */
  lastUpdateAt: number;
  /** The server acknowledged QEMU extended key events (QEMU does; key events then carry scancodes). */
  qemuKeyEvents: boolean;
  /** e.g. `3.8`, of the current or last connection. */
  protocolVersion: string | null;
  /** Rectangles received per encoding number since start (all connections): which decoders ran. */
  rectangles: Record<number, number>;
}

/** A write or wait needed the connection while it was down. */
export class RfbNotConnectedError extends Error {
  override readonly name = 'RfbNotConnectedError';
}

/** The server refused us for a reason reconnecting will not fix soon (authentication required, bad protocol). */
export class RfbHandshakeError extends Error {
  override readonly name = 'RfbHandshakeError';
}

export const DEFAULT_ENCODINGS: readonly number[] = [
  Encoding.ZRLE,
  Encoding.CopyRect,
  Encoding.Raw,
  Encoding.DesktopSize,
  Encoding.ExtendedDesktopSize,
  Encoding.QemuExtendedKeyEvent,
];

interface UpdateWaiter {
  /** Only an update whose first byte arrived at or after this time counts. */
  startedAfter: number;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * One persistent RFB (RFC 6143) connection: security type None, 32-bit true colour, Raw/CopyRect/ZRLE,
 * DesktopSize. It keeps an incremental update request outstanding so `framebuffer` tracks the screen, and
 * reconnects with backoff when the socket drops (the VM restarted).
 *
 * Events: `connected`, `disconnected` (error), `update`, `resize` (width, height). It never emits 'error':
 * failures show in status() and 'disconnected'.
 */
export class RfbClient extends EventEmitter {
  readonly framebuffer = new Framebuffer(0, 0);
  private socket: Socket | null = null;
  private connected = false;
  private closed = false;
  private started = false;
  private desktopName: string | null = null;
  private lastError: string | null = null;
  private lastUpdateAt = 0;
  private updateStartedAt = 0;
  private qemuKeyEvents = false;
  private protocolVersion: string | null = null;
  private rectangles: Record<number, number> = {};
  /** Ends the backoff sleep early (close()). */
  private wake: (() => void) | null = null;
  private delay: number;
  private waiters: UpdateWaiter[] = [];
  private loop: Promise<void> | null = null;
  private readonly opts: Required<RfbClientOptions>;

  constructor(options: RfbClientOptions) {
    super();
    this.opts = {
      host: options.host,
      port: options.port,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      minReconnectDelayMs: options.minReconnectDelayMs ?? 250,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 5000,
      encodings: options.encodings ?? DEFAULT_ENCODINGS,
    };
    this.delay = this.opts.minReconnectDelayMs;
  }

  /** Starts connecting (and reconnecting until close()). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.loop = this.run();
  }

  status(): RfbStatus {
    return {
      connected: this.connected,
      width: this.framebuffer.width,
      height: this.framebuffer.height,
      desktopName: this.desktopName,
      lastError: this.lastError,
      lastUpdateAt: this.lastUpdateAt,
      qemuKeyEvents: this.qemuKeyEvents,
      protocolVersion: this.protocolVersion,
      rectangles: { ...this.rectangles },
    };
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Resolves once connected; false when `timeoutMs` passes first. */
  waitForConnection(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        resolve(ok);
      };
      const onConnected = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.on('connected', onConnected);
    });
  }

  /**
   * Asks for a fresh update (non-incremental, `region` or the whole screen) and resolves true once an
   * update that started arriving after the request has been decoded; false at `timeoutMs`.
   */
  refresh(timeoutMs: number, region?: { x: number; y: number; w: number; h: number }): Promise<boolean> {
    const r = region ?? { x: 0, y: 0, w: this.framebuffer.width, h: this.framebuffer.height };
    const startedAfter = performance.now();
    const wait = this.waitForUpdate(startedAfter, timeoutMs);
    this.write(framebufferUpdateRequest(false, r.x, r.y, r.w, r.h));
    return wait;
  }

  /** Resolves true at the first update that started arriving at or after `startedAfter` (performance.now()). */
  waitForUpdate(startedAfter: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: UpdateWaiter = {
        startedAfter,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Resolves when no update has completed for `quietMs` (counting from `since` too), or at `timeoutMs`
   * with `timedOut`. Rejects if the connection drops meanwhile.
   */
  waitForQuiet(quietMs: number, timeoutMs: number, since = performance.now()): Promise<{ timedOut: boolean }> {
    const deadline = performance.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const onDown = (): void => {
        clearTimeout(timer);
        reject(new RfbNotConnectedError(`screen not connected: ${this.lastError ?? 'connection closed'}`));
      };
      const check = (): void => {
        const now = performance.now();
        const due = Math.max(this.lastUpdateAt, since) + quietMs;
        if (now >= due || now >= deadline) {
          this.off('disconnected', onDown);
          resolve({ timedOut: now < due });
          return;
        }
        timer = setTimeout(check, Math.min(due, deadline) - now + 1);
      };
      this.once('disconnected', onDown);
      check();
    });
  }

  pointer(buttonMask: number, x: number, y: number): void {
    this.write(pointerEventMessage(buttonMask, x, y));
  }

  /** A key press or release; as a QEMU extended key event (with scancode) when the server supports it. */
  key(down: boolean, code: KeyCode): void {
    if (this.qemuKeyEvents && code.scancode !== undefined) this.write(qemuKeyEventMessage(down, code.keysym, code.scancode));
    else this.write(keyEventMessage(down, code.keysym));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.socket?.destroy();
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    await this.loop;
  }

  private write(message: Buffer): void {
    if (!this.connected || !this.socket) {
      throw new RfbNotConnectedError(`screen not connected: ${this.lastError ?? 'connecting'}`);
    }
    this.socket.write(message);
  }

  /** Connects, and after each lost or failed connection waits the backoff and connects again, until close(). */
  private async run(): Promise<void> {
    while (!this.closed) {
      await this.connectOnce();
      if (this.closed) return;
      // A server that demands a password will not change its mind quickly: back off to the maximum at once.
      const delay = this.lastError?.includes('authentication') ? this.opts.maxReconnectDelayMs : this.delay;
      this.delay = Math.min(this.delay * 2, this.opts.maxReconnectDelayMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async connectOnce(): Promise<void> {
    const socket = connect({ host: this.opts.host, port: this.opts.port });
    socket.setNoDelay(true);
    this.socket = socket;
    const reader = new ByteReader();
    const zlib = new ZlibStream();
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (err) => reader.fail(err));
    socket.on('close', () => reader.fail(new Error('connection closed by the server')));
    const handshakeTimer = setTimeout(
      () => socket.destroy(new Error(`no RFB handshake within ${this.opts.connectTimeoutMs} ms`)),
      this.opts.connectTimeoutMs,
    );
    try {
      await this.handshake(socket, reader);
      clearTimeout(handshakeTimer);
      this.connected = true;
      this.lastError = null;
      this.delay = this.opts.minReconnectDelayMs;
      this.emit('connected');
      for (;;) await this.readMessage(reader, zlib);
    } catch (err) {
      this.lastError = this.describe(err);
    } finally {
      clearTimeout(handshakeTimer);
      zlib.close();
      socket.destroy();
      const wasConnected = this.connected;
      this.connected = false;
      this.socket = null;
      // No update will answer a pending wait on this connection: fail them now rather than at their timeout.
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve(false);
      }
      if (wasConnected) this.emit('disconnected', this.lastError);
    }
  }

  private describe(err: unknown): string {
    if (this.closed) return 'closed';
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ECONNREFUSED') return `connection refused by ${this.opts.host}:${this.opts.port}`;
    return e.message || String(err);
  }

  private async handshake(socket: Socket, reader: ByteReader): Promise<void> {
    const server = parseProtocolVersion(await reader.read(12));
    const minor = negotiateVersion(server);
    this.protocolVersion = `3.${minor}`;
    socket.write(versionMessage(minor));

    let types: number[];
    if (minor === 3) {
      types = [await reader.u32()];
    } else {
      const count = await reader.u8();
      types = count === 0 ? [SecurityType.Invalid] : [...(await reader.read(count))];
    }
    if (types[0] === SecurityType.Invalid) {
      const reason = (await reader.read(await reader.u32())).toString('utf8');
      throw new RfbHandshakeError(`VNC server refused the connection: ${reason}`);
    }
    if (!types.includes(SecurityType.None)) {
      throw new RfbHandshakeError(
        `VNC server requires authentication (security types ${types.join(', ')}); only type None (1) is supported, ` +
          'so run the server without a password on the private network',
      );
    }
    if (minor !== 3) socket.write(Buffer.from([SecurityType.None]));
    if (minor === 8) {
      const result = await reader.u32();
      if (result !== 0) {
        const reason = (await reader.read(await reader.u32())).toString('utf8');
        throw new RfbHandshakeError(`VNC security handshake failed: ${reason}`);
      }
    }

    socket.write(Buffer.from([1])); // ClientInit: shared, so the web viewer and we can both be connected
    const init = await reader.read(24);
    const name = await reader.read(init.readUInt32BE(20));
    this.desktopName = name.toString('utf8');
    this.framebuffer.resize(init.readUInt16BE(0), init.readUInt16BE(2));
    this.qemuKeyEvents = false;

    socket.write(
      Buffer.concat([
        setPixelFormatMessage(),
        setEncodingsMessage(this.opts.encodings),
        framebufferUpdateRequest(false, 0, 0, this.framebuffer.width, this.framebuffer.height),
      ]),
    );
  }

  private async readMessage(reader: ByteReader, zlib: ZlibStream): Promise<void> {
    const type = await reader.u8();
    switch (type) {
      case ServerMessage.FramebufferUpdate:
        return this.readUpdate(reader, zlib);
      case ServerMessage.SetColourMapEntries: {
        const head = await reader.read(5);
        await reader.read(head.readUInt16BE(3) * 6);
        return;
      }
      case ServerMessage.Bell:
        return;
      case ServerMessage.ServerCutText: {
        const head = await reader.read(7);
        // The extended-clipboard extension sends a negative length; we never announce it, but stay safe.
        await reader.read(Math.abs(head.readInt32BE(3)));
        return;
      }
      default:
        throw new Error(`unsupported RFB server message type ${type}`);
    }
  }

  private async readUpdate(reader: ByteReader, zlib: ZlibStream): Promise<void> {
    this.updateStartedAt = performance.now();
    const head = await reader.read(3);
    const count = head.readUInt16BE(1);
    let resized = false;
    let pixels = false;
    for (let i = 0; i < count; i++) {
      const r = await reader.read(12);
      const x = r.readUInt16BE(0);
      const y = r.readUInt16BE(2);
      const w = r.readUInt16BE(4);
      const h = r.readUInt16BE(6);
      const encoding = r.readInt32BE(8);
      this.rectangles[encoding] = (this.rectangles[encoding] ?? 0) + 1;
      switch (encoding) {
        case Encoding.Raw:
          pixels = true;
          if (w * h > 0) this.framebuffer.putRect(x, y, w, h, Framebuffer.makeOpaque(await reader.read(w * h * 4)));
          break;
        case Encoding.CopyRect: {
          pixels = true;
          const src = await reader.read(4);
          this.framebuffer.copyRect(src.readUInt16BE(0), src.readUInt16BE(2), x, y, w, h);
          break;
        }
        case Encoding.ZRLE: {
          pixels = true;
          const compressed = await reader.read(await reader.u32());
          decodeZrle(await zlib.push(compressed), x, y, w, h, this.framebuffer);
          break;
        }
        case Encoding.DesktopSize:
          this.framebuffer.resize(w, h);
          resized = true;
          break;
        case Encoding.ExtendedDesktopSize: {
          const screens = (await reader.read(4))[0];
          await reader.read(16 * screens);
          // y is the status: non-zero answers a (never sent) client resize request that failed.
          if (y === 0 && (w !== this.framebuffer.width || h !== this.framebuffer.height)) {
            this.framebuffer.resize(w, h);
            resized = true;
          }
          break;
        }
        case Encoding.QemuExtendedKeyEvent:
          this.qemuKeyEvents = true;
          break;
        case Encoding.LastRect:
          i = count;
          break;
        default:
          throw new Error(`server sent rectangle encoding ${encoding}, which was not offered`);
      }
    }
    this.lastUpdateAt = performance.now();
    const fb = this.framebuffer;
    // After a resize the whole new screen is needed; otherwise keep one incremental request outstanding.
    this.socket?.write(framebufferUpdateRequest(!resized, 0, 0, fb.width, fb.height));
    if (resized) this.emit('resize', fb.width, fb.height);
    // Xvnc and QEMU answer a non-incremental request with an ExtendedDesktopSize-only update first and the
    // pixels in the next: only an update carrying pixels answers a refresh() (after a resize, the new screen's).
    const ready = pixels ? this.waiters.filter((w) => this.updateStartedAt >= w.startedAfter) : [];
    if (ready.length) {
      this.waiters = this.waiters.filter((w) => !ready.includes(w));
      for (const w of ready) {
        clearTimeout(w.timer);
        w.resolve(true);
      }
    }
    this.emit('update');
  }
}
