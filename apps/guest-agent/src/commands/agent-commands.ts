import {
  AGENT_COMMAND_NAMES,
  ENV_MAX_VARS,
  ENV_NAME_PATTERN,
  ENV_VALUE_MAX_CHARS,
  GUEST_AGENT_LIMITS,
  type AgentCommandName,
  type ShellKind,
} from '@pantheon/guest-agent';
import { AgentError } from '../agent-error';
import type { OsAdapter } from '../os/os-adapter';
import { runExec } from './exec.command';
import { fileList, fileRead, fileWrite } from './file.commands';

export interface CommandLimits {
  fileBytes: number;
  execOutputBytes: number;
  execDefaultTimeoutMs: number;
  execMaxTimeoutMs: number;
  textChars: number;
}

export const DEFAULT_COMMAND_LIMITS: CommandLimits = {
  fileBytes: GUEST_AGENT_LIMITS.fileBytes,
  execOutputBytes: GUEST_AGENT_LIMITS.execOutputBytes,
  execDefaultTimeoutMs: GUEST_AGENT_LIMITS.execDefaultTimeoutMs,
  execMaxTimeoutMs: GUEST_AGENT_LIMITS.execMaxTimeoutMs,
  textChars: GUEST_AGENT_LIMITS.textChars,
};

export function isCommandName(name: string): name is AgentCommandName {
  return (AGENT_COMMAND_NAMES as readonly string[]).includes(name);
}

type Params = Record<string, unknown>;

function str(params: Params, key: string, required: true): string;
function str(params: Params, key: string, required: false): string | undefined;
function str(params: Params, key: string, required: boolean): string | undefined {
  const value = params[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || (required && value === '' && key !== 'text' && key !== 'content_base64')) {
    throw new AgentError('bad_request', `${key} must be a${required ? ' non-empty' : ''} string`);
  }
  return value;
}

function int(params: Params, key: string, min: number, max: number): number | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AgentError('bad_request', `${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function bool(params: Params, key: string): boolean | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new AgentError('bad_request', `${key} must be a boolean`);
  return value;
}

function text(params: Params, limits: CommandLimits): string {
  const value = str(params, 'text', true);
  if (value.length > limits.textChars) throw new AgentError('too_large', `text exceeds ${limits.textChars} characters`);
  return value;
}

/** Validates one command's params (unknown keys are ignored, like `id`) and runs it. */
export async function runCommand(name: AgentCommandName, params: Params, adapter: OsAdapter, limits: CommandLimits): Promise<unknown> {
  switch (name) {
    case 'exec': {
      const shell = (str(params, 'shell', false) ?? adapter.defaultShell) as ShellKind;
      if (!['powershell', 'cmd', 'sh'].includes(shell)) throw new AgentError('bad_request', 'shell must be powershell, cmd or sh');
      return runExec(adapter, {
        shell,
        command: str(params, 'command', true),
        cwd: str(params, 'cwd', false),
        timeoutMs: int(params, 'timeout_ms', 1, limits.execMaxTimeoutMs) ?? limits.execDefaultTimeoutMs,
        outputCapBytes: limits.execOutputBytes,
      });
    }
    case 'file_read':
      return fileRead(
        { path: str(params, 'path', true), offset: int(params, 'offset', 0, Number.MAX_SAFE_INTEGER), max_bytes: int(params, 'max_bytes', 0, Number.MAX_SAFE_INTEGER) },
        limits.fileBytes,
      );
    case 'file_write':
      return fileWrite(
        { path: str(params, 'path', true), content_base64: str(params, 'content_base64', true), append: bool(params, 'append'), create_dirs: bool(params, 'create_dirs') },
        limits.fileBytes,
      );
    case 'file_list':
      return fileList({ path: str(params, 'path', true) });
    case 'clipboard_get':
      return { text: await adapter.clipboardGet() };
    case 'clipboard_set':
      await adapter.clipboardSet(text(params, limits));
      return {};
    case 'windows_list':
      return { windows: await adapter.windowsList() };
    case 'window_focus':
      return focus(params, adapter);
    case 'app_launch': {
      const args = params.args ?? [];
      if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new AgentError('bad_request', 'args must be an array of strings');
      return { pid: await adapter.appLaunch(str(params, 'command', true), args as string[]) };
    }
    case 'type_text': {
      const value = text(params, limits);
      await adapter.typeText(value);
      // Characters as a person counts them (code points), not UTF-16 units.
      return { characters: [...value].length };
    }
    case 'env_set': {
      const vars = envVars(params);
      await adapter.setUserEnv(vars);
      // The agent's own commands (exec) inherit its environment: they see the change at once.
      for (const [name, value] of Object.entries(vars)) {
        if (value === null) delete process.env[name];
        else process.env[name] = value;
      }
      return { names: Object.keys(vars).sort() };
    }
  }
}

/** env_set's `vars`: allowed names only, single-line values (a line break would forge a line in the env file). */
function envVars(params: Params): Record<string, string | null> {
  const vars = params.vars;
  if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) throw new AgentError('bad_request', 'vars must be an object');
  const entries = Object.entries(vars as Record<string, unknown>);
  if (entries.length === 0 || entries.length > ENV_MAX_VARS) throw new AgentError('bad_request', `vars must name 1 to ${ENV_MAX_VARS} variables`);
  const out: Record<string, string | null> = {};
  for (const [name, value] of entries) {
    if (!ENV_NAME_PATTERN.test(name)) throw new AgentError('bad_request', `${name} is not a variable env_set may change`);
    if (value !== null && (typeof value !== 'string' || value.length > ENV_VALUE_MAX_CHARS || /[\0\r\n]/.test(value))) {
      throw new AgentError('bad_request', `${name} must be null or a single-line string of at most ${ENV_VALUE_MAX_CHARS} characters`);
    }
    out[name] = value;
  }
  return out;
}

async function focus(params: Params, adapter: OsAdapter): Promise<{ id: string; title: string }> {
  const id = str(params, 'id', false);
  const title = str(params, 'title', false);
  if (id === undefined && title === undefined) throw new AgentError('bad_request', 'id or title is required');
  const windows = await adapter.windowsList();
  const target =
    id !== undefined
      ? windows.find((w) => w.id === id)
      : (windows.find((w) => w.title === title) ?? windows.find((w) => w.title.toLowerCase().includes(title!.toLowerCase())));
  if (target === undefined) throw new AgentError('not_found', id !== undefined ? `no window ${id}` : `no window titled ${JSON.stringify(title)}`);
  await adapter.windowFocus(target.id);
  return { id: target.id, title: target.title };
}
