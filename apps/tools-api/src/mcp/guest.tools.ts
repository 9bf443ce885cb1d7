import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { GuestAgentClient } from '../guest-agent/guest-agent.client';
import type { JsonLogger } from '../logging/json-logger';
import { decodeUtf8, isBase64 } from './file-content';
import { failureResult, textResult, toolError } from './tool-result';
import type { VmStatusService } from './vm-status.service';

export interface GuestToolsDeps {
  agent: Pick<GuestAgentClient, 'call'>;
  status: Pick<VmStatusService, 'agentGate'>;
  logger: JsonLogger;
}

export const MAX_SHELL_TIMEOUT_SECONDS = 300;
export const DEFAULT_SHELL_TIMEOUT_SECONDS = 60;
/** The agent enforces the command's timeout; the HTTP call gets this much more to bring the answer back. */
const SHELL_ANSWER_GRACE_MS = 10_000;
export const MAX_READ_BYTES = 4 * 1024 * 1024;
export const DEFAULT_READ_BYTES = 100_000;
/** Under the SDK's 4 MiB request limit once JSON-encoded. */
export const MAX_WRITE_CHARS = 3_000_000;
export const MAX_TYPE_TEXT_CHARS = 100_000;

interface GuestToolConfig<S extends z.ZodObject> {
  title: string;
  description: string;
  inputSchema: S;
  annotations?: ToolAnnotations;
}

/** `type_text` sends key events one by one: the deadline grows with the text, up to 5 minutes. */
function typeTextTimeoutMs(text: string): number {
  return Math.min(30_000 + text.length * 20, 300_000);
}

function shellResult(result: { exit_code: number | null; stdout: string; stderr: string; timed_out: boolean; truncated: boolean }, timeoutSeconds: number): CallToolResult {
  const notes = [
    result.timed_out ? `timed out after ${timeoutSeconds} s and was stopped` : null,
    result.truncated ? 'output truncated' : null,
  ].filter((note): note is string => note !== null);
  const text = [
    `exit code: ${result.exit_code ?? 'none'}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
    '--- stdout ---',
    result.stdout,
    '--- stderr ---',
    result.stderr,
  ].join('\n');
  // A non-zero exit is an answer, not a tool failure: the model reads stderr and decides.
  return result.timed_out ? { ...textResult(text), isError: true } : textResult(text);
}

/**
 * The tools that run inside Windows through the guest agent. Each first asks the agent's health, so until
 * the agent answers a model gets "agent not ready (phase …)" instead of a timeout.
 */
export function registerGuestTools(server: McpServer, { agent, status, logger }: GuestToolsDeps): void {
  const guestTool = <S extends z.ZodObject>(
    name: string,
    config: GuestToolConfig<S>,
    run: (args: z.infer<S>) => Promise<CallToolResult>,
  ): void => {
    const handler = async (args: z.infer<S>): Promise<CallToolResult> => {
      try {
        const gate = await status.agentGate();
        if (!gate.ready) return toolError(`agent not ready (phase ${gate.phase}); call vm_status to follow the VM's progress`);
        return await run(args);
      } catch (error) {
        return failureResult(error, name, logger);
      }
    };
    // The generic wrapper hides the schema's shape from registerTool's inference; the SDK validates args against it.
    server.registerTool(name, config, handler as unknown as Parameters<McpServer['registerTool']>[2]);
  };

  guestTool(
    'shell',
    {
      title: 'Shell',
      description:
        "Run a command in the VM as the logged-on user (Windows: PowerShell by default, or cmd; the guest's own " +
        'shell when `shell` is omitted) and get its exit code, ' +
        `stdout and stderr. The command is stopped after timeout_seconds (default ${DEFAULT_SHELL_TIMEOUT_SECONDS}, at most ` +
        `${MAX_SHELL_TIMEOUT_SECONDS}). Not interactive: commands that wait for input hang until the timeout.`,
      inputSchema: z.strictObject({
        command: z.string().min(1).max(100_000).describe('The command line or script'),
        shell: z.enum(['powershell', 'cmd', 'sh']).optional().describe("Default: the guest's shell (powershell on Windows)"),
        timeout_seconds: z.number().int().min(1).max(MAX_SHELL_TIMEOUT_SECONDS).optional().describe(`Default ${DEFAULT_SHELL_TIMEOUT_SECONDS}`),
        cwd: z.string().min(1).max(4096).optional().describe('Working directory (default the user profile)'),
      }),
    },
    async (args) => {
      const timeoutSeconds = args.timeout_seconds ?? DEFAULT_SHELL_TIMEOUT_SECONDS;
      const params = {
        command: args.command,
        timeout_ms: timeoutSeconds * 1000,
        ...(args.shell !== undefined ? { shell: args.shell } : {}),
        ...(args.cwd !== undefined ? { cwd: args.cwd } : {}),
      };
      const result = await agent.call('exec', params, {
        timeoutMs: timeoutSeconds * 1000 + SHELL_ANSWER_GRACE_MS,
      });
      return shellResult(result, timeoutSeconds);
    },
  );

  guestTool(
    'file_read',
    {
      title: 'Read file',
      description:
        `Read a file in Windows: up to max_bytes (default ${DEFAULT_READ_BYTES}, at most ${MAX_READ_BYTES}) from offset. ` +
        'Returns a line describing the read, then the content: text when it is UTF-8, else base64 (or always ' +
        'base64 with encoding "base64"). Continue a truncated read at the next offset given.',
      inputSchema: z.strictObject({
        path: z.string().min(1).max(4096).describe('Absolute Windows path, e.g. C:\\Users\\me\\notes.txt'),
        offset: z.number().int().min(0).optional().describe('Byte offset to start at (default 0)'),
        max_bytes: z.number().int().min(1).max(MAX_READ_BYTES).optional(),
        encoding: z.enum(['utf8', 'base64']).optional().describe('Default: utf8 when the bytes are UTF-8, else base64'),
      }),
      annotations: { readOnlyHint: true },
    },
    async (args) => {
      const offset = args.offset ?? 0;
      const maxBytes = args.max_bytes ?? DEFAULT_READ_BYTES;
      const result = await agent.call('file_read', { path: args.path, offset, max_bytes: maxBytes });
      const data = Buffer.from(result.content_base64, 'base64');
      const decoded = args.encoding === 'base64' ? null : decodeUtf8(data, result.truncated);
      const bytes = decoded?.bytes ?? data.length;
      const more = offset + bytes < result.size;
      const header =
        `${args.path}: ${result.size} bytes; returned bytes ${offset}..${offset + bytes} as ${decoded === null ? 'base64' : 'utf8'}` +
        (more ? `; more from offset ${offset + bytes}` : '');
      return { content: [{ type: 'text', text: header }, { type: 'text', text: decoded?.text ?? data.toString('base64') }] };
    },
  );

  guestTool(
    'file_write',
    {
      title: 'Write file',
      description: 'Write (or append to) a file in Windows. content is text (utf8, default) or base64 for binary data.',
      inputSchema: z.strictObject({
        path: z.string().min(1).max(4096).describe('Absolute Windows path'),
        content: z.string().max(MAX_WRITE_CHARS),
        encoding: z.enum(['utf8', 'base64']).optional().describe('How content is written here (default utf8)'),
        append: z.boolean().optional().describe('Append instead of replacing (default false)'),
        create_dirs: z.boolean().optional().describe('Create missing parent folders (default false)'),
      }),
      annotations: { destructiveHint: true },
    },
    async (args) => {
      if (args.encoding === 'base64' && !isBase64(args.content)) return toolError('content is not valid base64');
      const contentBase64 = args.encoding === 'base64' ? args.content : Buffer.from(args.content, 'utf8').toString('base64');
      const result = await agent.call('file_write', {
        path: args.path,
        content_base64: contentBase64,
        append: args.append ?? false,
        create_dirs: args.create_dirs ?? false,
      });
      return textResult(`${args.append === true ? 'appended' : 'wrote'} ${result.bytes_written} bytes to ${args.path}`);
    },
  );

  guestTool(
    'file_list',
    {
      title: 'List folder',
      description: 'List a folder in Windows: JSON array of {name, type (file|directory|other), size, modified_at}.',
      inputSchema: z.strictObject({ path: z.string().min(1).max(4096).describe('Absolute Windows path of a folder') }),
      annotations: { readOnlyHint: true },
    },
    async (args) => textResult(JSON.stringify((await agent.call('file_list', { path: args.path })).entries)),
  );

  guestTool(
    'clipboard_get',
    {
      title: 'Read clipboard',
      description: "The text on the Windows clipboard (empty when it holds none).",
      inputSchema: z.strictObject({}),
      annotations: { readOnlyHint: true },
    },
    async () => textResult((await agent.call('clipboard_get', {})).text),
  );

  guestTool(
    'clipboard_set',
    {
      title: 'Set clipboard',
      description: 'Put text on the Windows clipboard (then paste it with the computer tool, key "ctrl+v").',
      inputSchema: z.strictObject({ text: z.string().max(1_000_000) }),
    },
    async (args) => {
      await agent.call('clipboard_set', { text: args.text });
      return textResult(`clipboard set (${args.text.length} characters)`);
    },
  );

  guestTool(
    'windows_list',
    {
      title: 'List windows',
      description: 'The top-level windows on the desktop: JSON array of {id, title, focused}.',
      inputSchema: z.strictObject({}),
      annotations: { readOnlyHint: true },
    },
    async () => textResult(JSON.stringify((await agent.call('windows_list', {})).windows)),
  );

  guestTool(
    'window_focus',
    {
      title: 'Focus window',
      description: 'Bring a window to the front and focus it, by id (from windows_list) or by title (first match).',
      inputSchema: z.strictObject({
        id: z.string().min(1).max(256).optional(),
        title: z.string().min(1).max(1024).optional(),
      }),
    },
    async (args) => {
      if (args.id === undefined && args.title === undefined) return toolError('id or title is required for window_focus');
      const params = args.id !== undefined ? { id: args.id } : { title: args.title as string };
      const focused = await agent.call('window_focus', params);
      return textResult(`focused window ${focused.id}: ${focused.title}`);
    },
  );

  guestTool(
    'app_launch',
    {
      title: 'Launch application',
      description: 'Start a program in the user session without waiting for it (e.g. command "notepad.exe", args ["C:\\\\notes.txt"]).',
      inputSchema: z.strictObject({
        command: z.string().min(1).max(4096).describe('Program name or path'),
        args: z.array(z.string().max(8192)).max(64).optional().describe('Arguments, one per element'),
      }),
    },
    async (args) => {
      const params = args.args === undefined ? { command: args.command } : { command: args.command, args: args.args };
      const { pid } = await agent.call('app_launch', params);
      return textResult(pid === null ? `launched ${args.command}` : `launched ${args.command} (pid ${pid})`);
    },
  );

  guestTool(
    'type_text',
    {
      title: 'Type text',
      description:
        'Type any Unicode text into the focused window (accents, CJK, emoji), independent of the keyboard ' +
        'layout. Prefer it to the computer tool\'s "type" for long or non-ASCII text.',
      inputSchema: z.strictObject({ text: z.string().min(1).max(MAX_TYPE_TEXT_CHARS) }),
    },
    async (args) => {
      const { characters } = await agent.call('type_text', { text: args.text }, { timeoutMs: typeTextTimeoutMs(args.text) });
      return textResult(`typed ${characters} characters`);
    },
  );
}
