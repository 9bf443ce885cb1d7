import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ComputerAction, ComputerResult, Desktop, ScreenshotOptions } from '../computer/computer.types';
import type { JsonLogger } from '../logging/json-logger';
import {
  actionTimeoutMs,
  computerBatchInputSchema,
  computerInputSchema,
  MAX_BATCH_ACTIONS,
  toComputerAction,
  toComputerActions,
} from './computer-args';
import { failureResult, textResult, withTimeout } from './tool-result';

export interface ComputerToolsDeps {
  desktop: Desktop;
  logger: JsonLogger;
}

function describeResult(result: ComputerResult): string {
  const shot = result.screenshot;
  if (shot === undefined) return 'done';
  const format = shot.mimeType === 'image/jpeg' ? 'jpeg' : 'png';
  const settle = result.settleTimedOut === true ? 'the screen was still changing at the settle deadline' : 'screen settled';
  return `screenshot ${shot.width}x${shot.height} ${format} (screen ${shot.framebufferWidth}x${shot.framebufferHeight}); ${settle}`;
}

/** The image first (what the model looks at), then one line on size and settling. */
export function computerResultContent(result: ComputerResult, prefix = ''): CallToolResult {
  if (result.cursor !== undefined && result.screenshot === undefined) {
    return textResult(`${prefix}cursor at [${result.cursor[0]}, ${result.cursor[1]}]`);
  }
  const text = textResult(`${prefix}${describeResult(result)}`);
  if (result.screenshot === undefined) return text;
  const { data, mimeType } = result.screenshot;
  return { content: [{ type: 'image', data: data.toString('base64'), mimeType }, ...text.content] };
}

function run(desktop: Desktop, action: ComputerAction, options: ScreenshotOptions): Promise<ComputerResult> {
  const ms = actionTimeoutMs(action);
  return withTimeout(desktop.run(action, options), ms, `the desktop did not finish ${action.action} within ${ms / 1000} s`);
}

function screenshotOptions(args: { format?: 'png' | 'jpeg' | undefined; quality?: number | undefined }): ScreenshotOptions {
  const options: ScreenshotOptions = {};
  if (args.format !== undefined) options.format = args.format;
  if (args.quality !== undefined) options.quality = args.quality;
  return options;
}

/** `computer` and `computer_batch`: the screen and input of the VM over its VNC connection. */
export function registerComputerTools(server: McpServer, { desktop, logger }: ComputerToolsDeps): void {
  server.registerTool(
    'computer',
    {
      title: 'Computer',
      description:
        "Use the mouse and keyboard of the project's Windows desktop and look at its screen (Anthropic " +
        'computer-use actions). Every action but cursor_position returns a screenshot taken once the screen ' +
        'has settled. Coordinates are pixels of that screenshot. Start with action "screenshot".',
      inputSchema: computerInputSchema,
      annotations: { openWorldHint: false },
    },
    async (args) => {
      try {
        const action = toComputerAction(args);
        return computerResultContent(await run(desktop, action, screenshotOptions(args)));
      } catch (error) {
        return failureResult(error, 'computer', logger);
      }
    },
  );

  server.registerTool(
    'computer_batch',
    {
      title: 'Computer (batch)',
      description:
        `Run up to ${MAX_BATCH_ACTIONS} computer actions in order (same parameters as the computer tool) and ` +
        'get one screenshot of the final screen. All actions are checked first; the first failing action stops ' +
        'the batch and the error names its index. Use it for sequences whose intermediate screens you do not need.',
      inputSchema: computerBatchInputSchema,
      annotations: { openWorldHint: false },
    },
    async (args) => {
      let actions: ComputerAction[];
      try {
        actions = toComputerActions(args.actions);
      } catch (error) {
        return failureResult(error, 'computer_batch', logger);
      }
      const options = screenshotOptions(args);
      let last: ComputerResult = {};
      for (const [index, action] of actions.entries()) {
        try {
          last = await run(desktop, action, options);
        } catch (error) {
          const failure = failureResult(error, 'computer_batch', logger);
          const reason = failure.content[0]?.type === 'text' ? failure.content[0].text : 'failed';
          const done = index === 0 ? 'no action ran' : `actions 0..${index - 1} ran`;
          return { ...failure, content: [{ type: 'text', text: `actions[${index}] (${action.action}) failed: ${reason}; ${done}` }] };
        }
      }
      try {
        // The batch always ends on a screenshot, also when its last action was cursor_position.
        if (last.screenshot === undefined) last = await run(desktop, { action: 'screenshot' }, options);
      } catch (error) {
        return failureResult(error, 'computer_batch', logger);
      }
      return computerResultContent(last, `${actions.length} actions done; `);
    },
  );
}
