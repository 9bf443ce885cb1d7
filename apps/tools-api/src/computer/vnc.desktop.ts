import { Button } from '../vnc/rfb-protocol';
import { DEFAULT_ENCODINGS, RfbClient, RfbNotConnectedError, type RfbClientOptions } from '../vnc/rfb-client';
import { MODIFIER_KEYSYMS, charToKeysym, keyNameToKeyCode, needsShift, parseKeyCombos, type KeyCode } from '../vnc/keysym.map';
import {
  ComputerInputError,
  DesktopUnavailableError,
  type ComputerAction,
  type ComputerResult,
  type Coordinate,
  type Desktop,
  type DesktopStatus,
  type Screenshot,
  type ScreenshotOptions,
} from './computer.types';
import { encodeScreenshot } from './screenshot.encoder';
import { regionToFramebuffer, screenGeometry, toFramebuffer, toScreenshot, type ScreenGeometry } from './screen-geometry';

export interface VncDesktopOptions {
  /** The VM's VNC server (QEMU's `-vnc`, port 5900 in dockurr/windows). */
  host: string;
  port: number;
  /** Screenshots wider than this are scaled down to it (default 1280); actions use screenshot coordinates. */
  maxWidth?: number;
  /** The screen counts as settled after this long without a framebuffer update (default 120 ms). */
  quietMs?: number;
  /** Upper bound on waiting for the screen to settle after an action (default 2000 ms). */
  settleTimeoutMs?: number;
  /** How long an action waits for a (re)connection in progress before failing (default 3000 ms). */
  connectWaitMs?: number;
  /** Upper bound on one update round trip for a plain screenshot (default 3500 ms; QEMU polls slowly when idle). */
  refreshTimeoutMs?: number;
  /** Longest `wait` and `hold_key` duration in seconds (default 10). */
  maxWaitSeconds?: number;
  /** Reuse the last encoded screenshot while no pixel has changed (default true). */
  screenshotCache?: boolean;
  /** Passed to the RFB client (reconnect delays, encodings). */
  rfb?: Omit<RfbClientOptions, 'host' | 'port'>;
}

const MAX_SCROLL = 50;
const MAX_TYPE_CHARS = 5000;
const DRAG_STEPS = 8;
const SHIFT = keyNameToKeyCode('Shift_L')!;

/** The project's desktop over one RFB connection (see computer.types.ts for the contract). */
export class VncDesktop implements Desktop {
  /** The underlying connection, for status details (protocol version, rectangles per encoding). */
  readonly client: RfbClient;
  private readonly opts: Required<Omit<VncDesktopOptions, 'rfb'>>;
  /** Where we last put the pointer (framebuffer space) and which buttons we hold. */
  private pointer: Coordinate = [0, 0];
  private buttons = 0;
  /** Actions run one at a time: interleaved key presses from two calls would garble both. */
  private queue: Promise<unknown> = Promise.resolve();
  private cached: { key: string; screenshot: Screenshot } | null = null;

  constructor(options: VncDesktopOptions) {
    // `??` rather than spread: an option passed as undefined (an unset env value) keeps its default.
    this.opts = {
      host: options.host,
      port: options.port,
      maxWidth: options.maxWidth ?? 1280,
      quietMs: options.quietMs ?? 120,
      settleTimeoutMs: options.settleTimeoutMs ?? 2000,
      connectWaitMs: options.connectWaitMs ?? 3000,
      refreshTimeoutMs: options.refreshTimeoutMs ?? 3500,
      maxWaitSeconds: options.maxWaitSeconds ?? 10,
      screenshotCache: options.screenshotCache ?? true,
    };
    this.client = new RfbClient({
      encodings: DEFAULT_ENCODINGS,
      ...options.rfb,
      host: options.host,
      port: options.port,
    });
    this.client.on('connected', () => {
      this.buttons = 0;
    });
    this.client.start();
  }

  status(): DesktopStatus {
    const s = this.client.status();
    return {
      connected: s.connected,
      framebufferWidth: s.width,
      framebufferHeight: s.height,
      desktopName: s.desktopName,
      lastError: s.lastError,
    };
  }

  run(action: ComputerAction, options: ScreenshotOptions = {}): Promise<ComputerResult> {
    const result = this.queue.then(() => this.runNow(action, options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async runNow(action: ComputerAction, options: ScreenshotOptions): Promise<ComputerResult> {
    if (!action || typeof action !== 'object' || typeof action.action !== 'string') {
      throw new ComputerInputError('action is required');
    }
    await this.ensureConnected();
    try {
      return await this.dispatch(action, options);
    } catch (err) {
      if (err instanceof RfbNotConnectedError) throw new DesktopUnavailableError(err.message);
      throw err;
    }
  }

  private async dispatch(a: ComputerAction, options: ScreenshotOptions): Promise<ComputerResult> {
    const g = this.geometry();
    switch (a.action) {
      case 'screenshot':
        return { screenshot: await this.freshScreenshot(options) };
      case 'cursor_position':
        return { cursor: toScreenshot(this.pointer, g) };
      case 'mouse_move':
        return this.settled(options, () => this.moveTo(toFramebuffer(a.coordinate, g)));
      case 'left_click':
      case 'right_click':
      case 'middle_click':
      case 'double_click':
      case 'triple_click': {
        const target = a.coordinate === undefined ? undefined : toFramebuffer(a.coordinate, g);
        const mods = this.modifiers(a.text);
        const button = a.action === 'right_click' ? Button.Right : a.action === 'middle_click' ? Button.Middle : Button.Left;
        const times = a.action === 'double_click' ? 2 : a.action === 'triple_click' ? 3 : 1;
        return this.settled(options, () =>
          this.withKeys(mods, () => {
            if (target) this.moveTo(target);
            for (let i = 0; i < times; i++) this.clickButton(button);
          }),
        );
      }
      case 'left_mouse_down':
      case 'left_mouse_up': {
        const target = a.coordinate === undefined ? undefined : toFramebuffer(a.coordinate, g);
        return this.settled(options, () => {
          if (target) this.moveTo(target);
          this.buttons = a.action === 'left_mouse_down' ? this.buttons | Button.Left : this.buttons & ~Button.Left;
          this.sendPointer();
        });
      }
      case 'left_click_drag': {
        const start = a.start_coordinate === undefined ? this.pointer : toFramebuffer(a.start_coordinate, g, 'start_coordinate');
        const end = toFramebuffer(a.coordinate, g);
        return this.settled(options, () => {
          this.moveTo(start);
          this.buttons |= Button.Left;
          this.sendPointer();
          // Intermediate points: toolkits start a drag only after motion with the button held.
          for (let i = 1; i <= DRAG_STEPS; i++) {
            this.moveTo([
              Math.round(start[0] + ((end[0] - start[0]) * i) / DRAG_STEPS),
              Math.round(start[1] + ((end[1] - start[1]) * i) / DRAG_STEPS),
            ]);
          }
          this.buttons &= ~Button.Left;
          this.sendPointer();
        });
      }
      case 'scroll': {
        const target = a.coordinate === undefined ? undefined : toFramebuffer(a.coordinate, g);
        const wheel = { up: Button.WheelUp, down: Button.WheelDown, left: Button.WheelLeft, right: Button.WheelRight }[
          a.scroll_direction
        ];
        if (wheel === undefined) throw new ComputerInputError('scroll_direction must be up, down, left or right');
        const amount = a.scroll_amount;
        if (!Number.isInteger(amount) || amount < 1 || amount > MAX_SCROLL) {
          throw new ComputerInputError(`scroll_amount must be an integer from 1 to ${MAX_SCROLL}`);
        }
        const mods = this.modifiers(a.text);
        return this.settled(options, () =>
          this.withKeys(mods, () => {
            if (target) this.moveTo(target);
            for (let i = 0; i < amount; i++) this.clickButton(wheel);
          }),
        );
      }
      case 'type': {
        const keys = this.typeKeys(a.text);
        return this.settled(options, () => {
          for (const { keysym, shift } of keys) {
            if (shift) this.client.key(true, SHIFT);
            this.client.key(true, { keysym });
            this.client.key(false, { keysym });
            if (shift) this.client.key(false, SHIFT);
          }
        });
      }
      case 'key': {
        const combos = this.parseKeys(a.text);
        return this.settled(options, () => {
          for (const combo of combos) this.withKeys(combo, () => undefined);
        });
      }
      case 'hold_key': {
        const combos = this.parseKeys(a.text);
        const ms = this.seconds(a.duration, 'duration');
        const keys = combos.flat();
        return this.settled(options, async () => {
          for (const k of keys) this.client.key(true, k);
          try {
            await sleep(ms);
          } finally {
            // Release even if the connection dropped meanwhile (write throws then; the server drops keys anyway).
            if (this.client.isConnected()) for (const k of [...keys].reverse()) this.client.key(false, k);
          }
        });
      }
      case 'wait': {
        await sleep(this.seconds(a.duration, 'duration'));
        return { screenshot: await this.freshScreenshot(options) };
      }
      case 'zoom': {
        const r = regionToFramebuffer(a.region, g);
        await this.refresh();
        const fb = this.client.framebuffer;
        const data = Buffer.allocUnsafe(r.w * r.h * 4);
        for (let row = 0; row < r.h; row++) {
          const s = ((r.y + row) * fb.width + r.x) * 4;
          fb.data.copy(data, row * r.w * 4, s, s + r.w * 4);
        }
        const image = await encodeScreenshot({ width: r.w, height: r.h, data }, r.w, r.h, options);
        return { screenshot: { ...image, framebufferWidth: g.fbWidth, framebufferHeight: g.fbHeight } };
      }
      default:
        throw new ComputerInputError(`unknown action ${JSON.stringify((a as { action: unknown }).action)}`);
    }
  }

  private geometry(): ScreenGeometry {
    const fb = this.client.framebuffer;
    return screenGeometry(fb.width, fb.height, this.opts.maxWidth);
  }

  private async ensureConnected(): Promise<void> {
    if (this.client.isConnected()) return;
    if (!(await this.client.waitForConnection(this.opts.connectWaitMs))) {
      throw new DesktopUnavailableError(`screen not connected: ${this.client.status().lastError ?? 'connecting'}`);
    }
  }

  /** Runs the input, then waits for the screen to settle and returns it. */
  private async settled(options: ScreenshotOptions, input: () => void | Promise<void>): Promise<ComputerResult> {
    const since = performance.now();
    await input();
    const { timedOut } = await this.client.waitForQuiet(this.opts.quietMs, this.opts.settleTimeoutMs, since);
    return { screenshot: await this.encodeCurrent(options), settleTimedOut: timedOut };
  }

  private async refresh(): Promise<void> {
    const fb = this.client.framebuffer;
    // A 1x1 non-incremental request is answered with whatever else changed too: a cheap round trip.
    const ok = await this.client.refresh(this.opts.refreshTimeoutMs, { x: 0, y: 0, w: Math.min(1, fb.width), h: Math.min(1, fb.height) });
    if (!ok && !this.client.isConnected()) {
      throw new DesktopUnavailableError(`screen not connected: ${this.client.status().lastError ?? 'connection closed'}`);
    }
  }

  private async freshScreenshot(options: ScreenshotOptions): Promise<Screenshot> {
    await this.refresh();
    return this.encodeCurrent(options);
  }

  private async encodeCurrent(options: ScreenshotOptions): Promise<Screenshot> {
    if (!this.client.isConnected()) {
      throw new DesktopUnavailableError(`screen not connected: ${this.client.status().lastError ?? 'connection closed'}`);
    }
    const fb = this.client.framebuffer;
    // A model often looks again at an unchanged screen: same pixels, same format, same bytes.
    const key = `${fb.generation}/${fb.width}x${fb.height}/${options.format ?? 'png'}/${options.quality ?? ''}`;
    if (this.opts.screenshotCache && this.cached?.key === key) return this.cached.screenshot;
    const snap = fb.snapshot();
    const g = screenGeometry(snap.width, snap.height, this.opts.maxWidth);
    const image = await encodeScreenshot(snap, g.width, g.height, options);
    const screenshot: Screenshot = { ...image, framebufferWidth: snap.width, framebufferHeight: snap.height };
    if (this.opts.screenshotCache) this.cached = { key, screenshot };
    return screenshot;
  }

  private moveTo(p: Coordinate): void {
    this.pointer = p;
    this.sendPointer();
  }

  private sendPointer(): void {
    this.client.pointer(this.buttons, this.pointer[0], this.pointer[1]);
  }

  private clickButton(button: number): void {
    this.client.pointer(this.buttons | button, this.pointer[0], this.pointer[1]);
    this.client.pointer(this.buttons, this.pointer[0], this.pointer[1]);
  }

  /** Presses `keys` in order, runs `fn`, releases them in reverse. */
  private withKeys(keys: KeyCode[], fn: () => void): void {
    for (const k of keys) this.client.key(true, k);
    try {
      fn();
    } finally {
      for (const k of [...keys].reverse()) this.client.key(false, k);
    }
  }

  private parseKeys(text: unknown): KeyCode[][] {
    if (typeof text !== 'string') throw new ComputerInputError('text must name the key(s), e.g. "Return" or "ctrl+s"');
    try {
      return parseKeyCombos(text);
    } catch (err) {
      throw new ComputerInputError(`${(err as Error).message}; use xdotool names such as Return, ctrl+s, alt+F4, Page_Down`);
    }
  }

  private modifiers(text: unknown): KeyCode[] {
    if (text === undefined || text === '') return [];
    const keys = this.parseKeys(text);
    const flat = keys.flat();
    if (keys.length !== 1 || !flat.every((k) => MODIFIER_KEYSYMS.has(k.keysym))) {
      throw new ComputerInputError(`text must be modifier keys only (shift, ctrl, alt, super, joined by +), got ${JSON.stringify(text)}`);
    }
    return flat;
  }

  private typeKeys(text: unknown): { keysym: number; shift: boolean }[] {
    if (typeof text !== 'string' || text.length === 0) throw new ComputerInputError('text must be a non-empty string');
    const chars = [...text.replace(/\r\n/g, '\n')];
    if (chars.length > MAX_TYPE_CHARS) {
      throw new ComputerInputError(`text is ${chars.length} characters; type at most ${MAX_TYPE_CHARS} per action`);
    }
    return chars.map((ch, i) => {
      const keysym = charToKeysym(ch);
      if (keysym === null) {
        const cp = `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
        throw new ComputerInputError(
          `character ${JSON.stringify(ch)} (${cp}) at index ${i} cannot be typed as a key press; ` +
            'only printable ASCII, Latin-1, newline and tab can: use the type_text guest tool for other text',
        );
      }
      return { keysym, shift: needsShift(ch) };
    });
  }

  private seconds(value: unknown, what: string): number {
    const max = this.opts.maxWaitSeconds;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
      throw new ComputerInputError(`${what} must be a number of seconds from 0 to ${max}`);
    }
    return value * 1000;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
