/**
 * The Pantheon guest-agent protocol: HTTP JSON on port 9000 inside the VM (forwarded by dockurr/windows from
 * the VM container's address). Shared by the agent (`apps/guest-agent`) and its client in the tools API.
 *
 * - `GET /health` and `GET /version`: no auth (liveness and what runs).
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
}

export type ShellKind = 'powershell' | 'cmd' | 'sh';

export interface AgentCommands {
  exec: {
    params: { shell?: ShellKind; command: string; cwd?: string; timeout_ms?: number };
    result: { exit_code: number | null; stdout: string; stderr: string; timed_out: boolean; truncated: boolean };
  };
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
  window_focus: { params: { id?: string; title?: string }; result: { id: string; title: string } };
  app_launch: { params: { command: string; args?: string[] }; result: { pid: number | null } };
  type_text: { params: { text: string }; result: { characters: number } };
}

export type AgentCommandName = keyof AgentCommands;

export type AgentErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'too_large'
  | 'timeout'
  | 'unsupported'
  | 'failed';

export type AgentResponse<C extends AgentCommandName> =
  | { id: string; ok: true; result: AgentCommands[C]['result'] }
  | { id: string; ok: false; error: { code: AgentErrorCode; message: string } };
