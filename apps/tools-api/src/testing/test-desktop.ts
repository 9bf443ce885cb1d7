import sharp from 'sharp';
import {
  ComputerInputError,
  DesktopUnavailableError,
  type ComputerAction,
  type ComputerResult,
  type Coordinate,
  type Desktop,
  type DesktopStatus,
  type ScreenshotOptions,
} from '../computer/computer.types';

export interface TestDesktopOptions {
  /** Framebuffer size (default 1920x1080). */
  width?: number;
  height?: number;
  /** Screenshot width cap, as SCREENSHOT_MAX_WIDTH (default 1280). */
  maxWidth?: number;
  connected?: boolean;
}

/**
 * An in-memory Desktop for tests (never shipped): records every action, keeps a pointer, and answers with
 * real images made by sharp (scaled to maxWidth like the RFB implementation), whose colour changes with every
 * action so a test can tell screenshots apart. Coordinates outside the screenshot are refused like the real one.
 */
export class TestDesktop implements Desktop {
  readonly actions: ComputerAction[] = [];
  connected: boolean;
  /** When set, the next run() rejects with it (once). */
  failNext: Error | null = null;
  closed = false;
  private cursor: Coordinate = [0, 0];
  readonly framebufferWidth: number;
  readonly framebufferHeight: number;
  readonly width: number;
  readonly height: number;

  constructor(options: TestDesktopOptions = {}) {
    this.framebufferWidth = options.width ?? 1920;
    this.framebufferHeight = options.height ?? 1080;
    const maxWidth = options.maxWidth ?? 1280;
    const scale = Math.min(1, maxWidth / this.framebufferWidth);
    this.width = Math.round(this.framebufferWidth * scale);
    this.height = Math.round(this.framebufferHeight * scale);
    this.connected = options.connected ?? true;
  }

  status(): DesktopStatus {
    return {
      connected: this.connected,
      framebufferWidth: this.connected ? this.framebufferWidth : 0,
      framebufferHeight: this.connected ? this.framebufferHeight : 0,
      desktopName: this.connected ? 'QEMU (test)' : null,
      lastError: this.connected ? null : 'connection refused',
    };
  }

  async run(action: ComputerAction, options: ScreenshotOptions = {}): Promise<ComputerResult> {
    if (this.closed) throw new DesktopUnavailableError('desktop closed');
    if (!this.connected) throw new DesktopUnavailableError('the VM screen is not connected yet (VNC connection refused)');
    if (this.failNext !== null) {
      const error = this.failNext;
      this.failNext = null;
      throw error;
    }
    for (const point of this.points(action)) this.check(point);
    this.actions.push(action);
    if (action.action === 'cursor_position') return { cursor: this.cursor };
    if ('coordinate' in action && action.coordinate !== undefined) this.cursor = action.coordinate;
    if (action.action === 'zoom') {
      const [x0, y0, x1, y1] = action.region;
      return { screenshot: await this.image(x1 - x0, y1 - y0, options) };
    }
    return { screenshot: await this.image(this.width, this.height, options) };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private points(action: ComputerAction): Coordinate[] {
    const points: Coordinate[] = [];
    if ('coordinate' in action && action.coordinate !== undefined) points.push(action.coordinate);
    if (action.action === 'left_click_drag' && action.start_coordinate !== undefined) points.push(action.start_coordinate);
    if (action.action === 'zoom') points.push([action.region[0], action.region[1]], [action.region[2], action.region[3]]);
    return points;
  }

  private check([x, y]: Coordinate): void {
    if (x > this.width || y > this.height) {
      throw new ComputerInputError(`coordinate [${x}, ${y}] is outside the ${this.width}x${this.height} screenshot`);
    }
  }

  private async image(width: number, height: number, options: ScreenshotOptions): Promise<NonNullable<ComputerResult['screenshot']>> {
    const shade = (this.actions.length * 37) % 256;
    const base = sharp({ create: { width, height, channels: 3, background: { r: shade, g: 128, b: 255 - shade } } });
    const jpeg = options.format === 'jpeg';
    const data = await (jpeg ? base.jpeg({ quality: options.quality ?? 80 }) : base.png()).toBuffer();
    return {
      data,
      mimeType: jpeg ? 'image/jpeg' : 'image/png',
      width,
      height,
      framebufferWidth: this.framebufferWidth,
      framebufferHeight: this.framebufferHeight,
    };
  }
}
