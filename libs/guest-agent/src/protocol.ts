/**
 * The Pantheon guest-agent protocol: HTTP JSON on port 9000 inside the VM (forwarded by dockurr/windows from
 * the VM container's address). Shared by the agent (`apps/guest-agent`) and its client in the tools API.
 *
 * - `GET /health` and `GET /version`: no auth (liveness and what runs). `GET /info` (VM spec) and
 *   `GET /probe?host=<ipv4>&port=<n>` (TCP reachability from inside the VM, for isolation checks) are also
 *   unauthenticated for now: the tools API and the isolation tests call them before the agent token reaches them.
 * - Everything else: `Authorization: Bearer <agent token>` (unique per project, shipped in its /oem), else 401.
 * - `POST /v1/<command>` with a JSON body `{ id, ...params }`; the answer is `{ id, ok: true, result }` or
 *   `{ id, ok: false, error: { code, message } }` with a 4xx/5xx status; `id` is echoed (the caller's request id).
 */

export const GUEST_AGENT_NAME = 'pantheon-guest-agent';
export const GUEST_AGENT_PROTOCOL_VERSION = 1;

export interface AgentHealth {
  status: 'ok';
  agent: typeof GUEST_AGENT_NAME;
  version: string;
  protocol: number;
  /** `win32` in Windows, `linux` in the stand-in. */
  platform: string;
  hostname: string;
  /** Random per agent process: a new value means the agent (or the VM) restarted since the last look. */
  instance?: string;
}

/** `GET /version`. */
export interface AgentVersion {
  agent: typeof GUEST_AGENT_NAME;
  version: string;
  protocol: number;
  platform: string;
  commands: AgentCommandName[];
}

/** `GET /info`: the VM spec from the env dockurr/windows reads (absent keys left out). */
export interface AgentInfo {
  hostname: string;
  platform: string;
  os: string;
  spec: Partial<Record<'VERSION' | 'RAM_SIZE' | 'CPU_CORES' | 'DISK_SIZE', string>>;
}

/** `GET /probe?host=<ipv4>&port=<n>`. */
export interface AgentProbeResult {
  host: string;
  port: number;
  reachable: boolean;
}

/** Limits the agent enforces (and a client may check first). */
export const GUEST_AGENT_LIMITS = {
  /** Request body, bytes (a 16 MiB file as base64 plus the JSON around it). */
  bodyBytes: 24 * 1024 * 1024,
  /** file_read / file_write content, bytes. */
  fileBytes: 16 * 1024 * 1024,
  /** exec stdout and stderr, bytes each; beyond it `truncated` is set. */
  execOutputBytes: 1024 * 1024,
  /** exec default and maximum timeout, ms. */
  execDefaultTimeoutMs: 60_000,
  execMaxTimeoutMs: 30 * 60_000,
  /** type_text and clipboard_set, characters. */
  textChars: 64 * 1024,
} as const;

export type ShellKind = 'powershell' | 'cmd' | 'sh';

export interface AgentCommands {
  /** `shell` defaults to powershell on Windows and sh on Linux; the process tree is killed on timeout. */
  exec: {
    params: { shell?: ShellKind; command: string; cwd?: string; timeout_ms?: number };
    result: { exit_code: number | null; stdout: string; stderr: string; timed_out: boolean; truncated: boolean };
  };
  /** Paths are absolute; `max_bytes` defaults to (and is capped at) GUEST_AGENT_LIMITS.fileBytes. */
  file_read: {
    params: { path: string; offset?: number; max_bytes?: number };
    result: { content_base64: string; size: number; truncated: boolean };
  };
  file_write: {
    params: { path: string; content_base64: string; append?: boolean; create_dirs?: boolean };
    result: { bytes_written: number };
  };
  file_list: {
    params: { path: string };
    result: { entries: { name: string; type: 'file' | 'directory' | 'other'; size: number; modified_at: string }[] };
  };
  clipboard_get: { params: Record<string, never>; result: { text: string } };
  clipboard_set: { params: { text: string }; result: Record<string, never> };
  windows_list: { params: Record<string, never>; result: { windows: { id: string; title: string; focused: boolean }[] } };
  /** By `id` (from windows_list), else the first window whose title equals `title`, else contains it. */
  window_focus: { params: { id?: string; title?: string }; result: { id: string; title: string } };
  app_launch: { params: { command: string; args?: string[] }; result: { pid: number | null } };
  type_text: { params: { text: string }; result: { characters: number } };
  /**
   * Sets (a string) or removes (null) variables of the VM user's environment, for programs started afterwards
   * (Windows: HKCU\Environment and a WM_SETTINGCHANGE broadcast; Linux: a 0600 file in the user's home that login
   * and bash shells source); the agent's own commands see them at once. Names must match ENV_NAME_PATTERN.
   */
  env_set: { params: { vars: Record<string, string | null> }; result: { names: string[] } };
}

/**
 * What env_set may touch: the gateway's variables and the platform's own, nothing a program depends on
 * otherwise (PATH and the like). Values are single-line, at most ENV_VALUE_MAX_CHARS.
 */
export const ENV_NAME_PATTERN = /^(ANTHROPIC|OPENAI|PANTHEON)_[A-Z0-9_]{1,64}$/;
export const ENV_VALUE_MAX_CHARS = 2048;
export const ENV_MAX_VARS = 16;

export type AgentCommandName = keyof AgentCommands;

export const AGENT_COMMAND_NAMES: readonly AgentCommandName[] = [
  'exec',
  'file_read',
  'file_write',
  'file_list',
  'clipboard_get',
  'clipboard_set',
  'windows_list',
  'window_focus',
  'app_launch',
  'type_text',
  'env_set',
];

export type AgentErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'too_large'
  | 'timeout'
  | 'unsupported'
  | 'failed';

/** HTTP status of each error code. */
export const AGENT_ERROR_STATUS: Record<AgentErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  too_large: 413,
  timeout: 504,
  unsupported: 501,
  failed: 500,
};

export type AgentResponse<C extends AgentCommandName> =
  | { id: string; ok: true; result: AgentCommands[C]['result'] }
  | { id: string; ok: false; error: { code: AgentErrorCode; message: string } };
