/**
 * The contract between the project's desktop (screen and input over RFB, `apps/tools-api/src/vnc/`) and
 * the MCP tools (`apps/tools-api/src/mcp/`). Action names and parameters follow Anthropic's computer-use tool,
 * so models trained on it drive a project without translation.
 */

/** [x, y] in the screenshot's pixel space (after scaling), never the raw framebuffer's. */
export type Coordinate = [number, number];

export type ComputerAction =
  | { action: 'screenshot' }
  | { action: 'cursor_position' }
  | { action: 'mouse_move'; coordinate: Coordinate }
  | {
      action: 'left_click' | 'right_click' | 'middle_click' | 'double_click' | 'triple_click';
      coordinate?: Coordinate;
      /** Modifier keys held during the click, xdotool-style (`shift`, `ctrl+alt`). */
      text?: string;
    }
  | { action: 'left_mouse_down' | 'left_mouse_up'; coordinate?: Coordinate }
  | { action: 'left_click_drag'; start_coordinate?: Coordinate; coordinate: Coordinate }
  | {
      action: 'scroll';
      coordinate?: Coordinate;
      scroll_direction: 'up' | 'down' | 'left' | 'right';
      scroll_amount: number;
      text?: string;
    }
  /** Text typed as key presses (keysyms); characters with no keysym on the layout are refused. */
  | { action: 'type'; text: string }
  /** xdotool-style key names and combos: `Return`, `ctrl+s`, `alt+F4`, `super`. */
  | { action: 'key'; text: string }
  | { action: 'hold_key'; text: string; duration: number }
  | { action: 'wait'; duration: number }
  /** A region [x0, y0, x1, y1] of the screen shown at full resolution. */
  | { action: 'zoom'; region: [number, number, number, number] };

export type ComputerActionName = ComputerAction['action'];

export interface ScreenshotOptions {
  /** Default `png`. */
  format?: 'png' | 'jpeg';
  /** JPEG quality 1-100 (default 80); ignored for PNG. */
  quality?: number;
}

export interface Screenshot {
  data: Buffer;
  mimeType: 'image/png' | 'image/jpeg';
  /** Size of the image sent (the coordinate space of actions). */
  width: number;
  height: number;
  /** Size of the VNC framebuffer it was taken from. */
  framebufferWidth: number;
  framebufferHeight: number;
}

export interface ComputerResult {
  /** The settled screen after the action (absent for `cursor_position`). */
  screenshot?: Screenshot;
  /** For `cursor_position`: where the pointer is, in screenshot space. */
  cursor?: Coordinate;
  /** True when the screen was still changing at the settle deadline. */
  settleTimedOut?: boolean;
}

export interface DesktopStatus {
  connected: boolean;
  framebufferWidth: number;
  framebufferHeight: number;
  /** The server's desktop name from ServerInit. */
  desktopName: string | null;
  /** Why the last connection attempt failed, safe to show to a model. */
  lastError: string | null;
}

/** Bad arguments (out-of-range coordinates, unknown key names): shown to the model as a tool error. */
export class ComputerInputError extends Error {
  override readonly name = 'ComputerInputError';
}

/** The VNC connection is down or failed mid-action: shown to the model as a tool error. */
export class DesktopUnavailableError extends Error {
  override readonly name = 'DesktopUnavailableError';
}

/** The project's screen and input, over one persistent RFB connection that reconnects by itself. */
export interface Desktop {
  status(): DesktopStatus;
  /** Runs one action, then (but for cursor_position) returns a screenshot once the screen has settled. */
  run(action: ComputerAction, options?: ScreenshotOptions): Promise<ComputerResult>;
  /** Closes the connection and stops reconnecting. */
  close(): Promise<void>;
}
