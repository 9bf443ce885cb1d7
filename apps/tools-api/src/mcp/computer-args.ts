import { z } from 'zod';
import type { ComputerAction, ComputerActionName, Coordinate } from '../computer/computer.types';

export const COMPUTER_ACTIONS = [
  'screenshot',
  'cursor_position',
  'mouse_move',
  'left_click',
  'right_click',
  'middle_click',
  'double_click',
  'triple_click',
  'left_mouse_down',
  'left_mouse_up',
  'left_click_drag',
  'scroll',
  'type',
  'key',
  'hold_key',
  'wait',
  'zoom',
] as const satisfies readonly ComputerActionName[];

/** Longest `hold_key` / `wait`, in seconds: a model waiting longer should call again. */
export const MAX_DURATION_SECONDS = 60;
export const MAX_BATCH_ACTIONS = 20;
/** Longest text typed by one `type` action (key events over RFB are slow; use type_text for long text). */
export const MAX_TYPE_TEXT = 10_000;

const coordinate = z
  .array(z.number().int().min(0).max(100_000))
  .length(2)
  .describe('[x, y] in pixels of the latest screenshot (not of the raw screen)');

/** The parameters of one action, as in Anthropic's computer-use tool; per-action rules are in toComputerAction. */
export const computerActionShape = {
  action: z
    .enum(COMPUTER_ACTIONS)
    .describe(
      'What to do. screenshot: look at the screen. cursor_position: where the pointer is. mouse_move: move to ' +
        'coordinate. left_click/right_click/middle_click/double_click/triple_click: click at coordinate (or where ' +
        'the pointer is), text = modifier keys held (e.g. "shift", "ctrl+alt"). left_mouse_down/left_mouse_up: ' +
        'press or release the left button. left_click_drag: drag from start_coordinate (or the pointer) to ' +
        'coordinate. scroll: scroll_amount wheel clicks in scroll_direction at coordinate. type: type text. key: ' +
        'press a key or combo (xdotool names: "Return", "ctrl+s", "alt+F4", "super"). hold_key: hold text\'s keys ' +
        'for duration seconds. wait: wait duration seconds. zoom: show region at full resolution.',
    ),
  coordinate: coordinate.optional().describe('[x, y] target (mouse_move, left_click_drag end, clicks, scroll)'),
  start_coordinate: coordinate.optional().describe('[x, y] where left_click_drag starts (default: the pointer)'),
  text: z
    .string()
    .max(MAX_TYPE_TEXT)
    .optional()
    .describe('type: the text; key/hold_key: key names like "ctrl+c"; clicks and scroll: modifier keys to hold'),
  scroll_direction: z.enum(['up', 'down', 'left', 'right']).optional().describe('scroll: direction'),
  scroll_amount: z.number().int().min(1).max(50).optional().describe('scroll: number of wheel clicks'),
  duration: z
    .number()
    .min(0)
    .max(MAX_DURATION_SECONDS)
    .optional()
    .describe(`hold_key and wait: seconds (at most ${MAX_DURATION_SECONDS})`),
  region: z
    .array(z.number().int().min(0).max(100_000))
    .length(4)
    .optional()
    .describe('zoom: [x0, y0, x1, y1] in screenshot pixels, x0 < x1 and y0 < y1'),
};

export const screenshotOptionsShape = {
  format: z.enum(['png', 'jpeg']).optional().describe('Screenshot format (default png; jpeg is smaller)'),
  quality: z.number().int().min(1).max(100).optional().describe('JPEG quality 1-100 (default 80; ignored for png)'),
};

export const computerInputSchema = z.strictObject({ ...computerActionShape, ...screenshotOptionsShape });
export const computerBatchInputSchema = z.strictObject({
  actions: z
    .array(z.strictObject(computerActionShape))
    .min(1)
    .max(MAX_BATCH_ACTIONS)
    .describe(`Up to ${MAX_BATCH_ACTIONS} actions, run in order; the first failure stops the batch`),
  ...screenshotOptionsShape,
});

export type ComputerActionArgs = z.infer<z.ZodObject<typeof computerActionShape>>;

/** Arguments that pass the schema but not the rules of their action; the message is meant for the model. */
export class ComputerArgsError extends Error {
  override readonly name = 'ComputerArgsError';
}

function need<T>(value: T | undefined, name: string, action: string): T {
  if (value === undefined) throw new ComputerArgsError(`${name} is required for ${action}`);
  return value;
}

function point(value: number[] | undefined): Coordinate | undefined {
  return value === undefined ? undefined : [value[0] ?? 0, value[1] ?? 0];
}

/** Only the fields that are set: the Desktop reads "absent" as "where the pointer is". */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Checks the per-action rules the schema cannot express (which parameters an action needs) and builds the
 * Desktop's action. Parameters an action does not use are ignored, as Anthropic's tool does.
 * @throws ComputerArgsError e.g. "coordinate is required for mouse_move"
 */
export function toComputerAction(args: ComputerActionArgs): ComputerAction {
  const { action } = args;
  switch (action) {
    case 'screenshot':
    case 'cursor_position':
      return { action };
    case 'mouse_move':
      return { action, coordinate: need(point(args.coordinate), 'coordinate', action) };
    case 'left_click':
    case 'right_click':
    case 'middle_click':
    case 'double_click':
    case 'triple_click':
      return defined({ action, coordinate: point(args.coordinate), text: args.text });
    case 'left_mouse_down':
    case 'left_mouse_up':
      return defined({ action, coordinate: point(args.coordinate) });
    case 'left_click_drag':
      return defined({
        action,
        coordinate: need(point(args.coordinate), 'coordinate', action),
        start_coordinate: point(args.start_coordinate),
      });
    case 'scroll':
      return defined({
        action,
        scroll_direction: need(args.scroll_direction, 'scroll_direction', action),
        scroll_amount: need(args.scroll_amount, 'scroll_amount', action),
        coordinate: point(args.coordinate),
        text: args.text,
      });
    case 'type':
    case 'key': {
      const text = need(args.text, 'text', action);
      if (text === '') throw new ComputerArgsError(`text must not be empty for ${action}`);
      return { action, text };
    }
    case 'hold_key': {
      const text = need(args.text, 'text', action);
      if (text === '') throw new ComputerArgsError(`text must not be empty for ${action}`);
      return { action, text, duration: need(args.duration, 'duration', action) };
    }
    case 'wait':
      return { action, duration: need(args.duration, 'duration', action) };
    case 'zoom': {
      const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] = need(args.region, 'region', action);
      if (!(x0 < x1 && y0 < y1)) throw new ComputerArgsError('region must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1');
      return { action, region: [x0, y0, x1, y1] };
    }
  }
}

/**
 * The whole batch is checked before anything runs, so a typo in the last action does not leave the first ones
 * half done.
 * @throws ComputerArgsError naming the index, e.g. "actions[2]: coordinate is required for mouse_move"
 */
export function toComputerActions(actions: readonly ComputerActionArgs[]): ComputerAction[] {
  return actions.map((args, index) => {
    try {
      return toComputerAction(args);
    } catch (error) {
      if (error instanceof ComputerArgsError) throw new ComputerArgsError(`actions[${index}]: ${error.message}`);
      throw error;
    }
  });
}

/** Time a Desktop may take for an action before the tool gives up: settling plus what the action itself waits. */
export function actionTimeoutMs(action: ComputerAction): number {
  const waits = action.action === 'wait' || action.action === 'hold_key' ? action.duration * 1000 : 0;
  const typing = action.action === 'type' ? action.text.length * 20 : 0;
  return 30_000 + waits + typing;
}
