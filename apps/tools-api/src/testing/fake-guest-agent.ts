import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GUEST_AGENT_NAME,
  GUEST_AGENT_PROTOCOL_VERSION,
  type AgentCommandName,
  type AgentCommands,
  type AgentErrorCode,
  type AgentHealth,
} from '@pantheon/guest-agent';

/** One authenticated command the fake received (the token is never kept). */
export interface ReceivedCommand {
  command: string;
  id: string;
  params: Record<string, unknown>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

class CommandError extends Error {
  constructor(
    readonly status: number,
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (params: Record<string, unknown>) => unknown;

function str(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') throw new CommandError(400, 'bad_request', `${name} must be a non-empty string`);
  return value;
}

function optionalInt(params: Record<string, unknown>, name: string, fallback: number): number {
  const value = params[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new CommandError(400, 'bad_request', `${name} must be a non-negative integer`);
  return value;
}

/**
 * A wire-compatible guest agent on loopback for tests (never shipped): `GET /health` and `/version` without
 * auth, `POST /v1/<command>` `{id, ...params}` with the bearer token, answers `{id, ok, result|error}` as
 * libs/guest-agent/src/protocol.ts says. Files live in memory under Windows-style paths; `exec` echoes its
 * command (`exit N` exits with N). `stop()` really closes the port (connection refused), `start()` reopens
 * the same one.
 */
export class FakeGuestAgent {
  readonly files = new Map<string, Buffer>();
  /** What env_set left in the "user environment". */
  readonly env = new Map<string, string>();
  readonly received: ReceivedCommand[] = [];
  clipboard = '';
  typed = '';
  readonly windows = [
    { id: '0x10010', title: 'Untitled - Notepad', focused: true },
    { id: '0x20020', title: 'File Explorer', focused: false },
  ];
  private server: Server | null = null;
  private portNumber = 0;

  constructor(private readonly token: string) {}

  get port(): number {
    return this.portNumber;
  }

  get up(): boolean {
    return this.server !== null;
  }

  /** Listens on loopback: on a fresh port the first time, on the same port afterwards. */
  async start(): Promise<void> {
    if (this.server !== null) return;
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => resolve());
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private readonly handlers: { [C in AgentCommandName]: (params: Record<string, unknown>) => AgentCommands[C]['result'] } = {
    exec: (params) => {
      const command = str(params, 'command');
      const exit = /^exit (\d+)$/.exec(command);
      if (exit !== null) return { exit_code: Number(exit[1]), stdout: '', stderr: `exited with ${exit[1]}\n`, timed_out: false, truncated: false };
      return { exit_code: 0, stdout: `${command}\n`, stderr: '', timed_out: false, truncated: false };
    },
    file_read: (params) => {
      const path = str(params, 'path');
      const data = this.files.get(path);
      if (data === undefined) throw new CommandError(404, 'not_found', `no such file: ${path}`);
      const offset = optionalInt(params, 'offset', 0);
      const maxBytes = optionalInt(params, 'max_bytes', 1024 * 1024);
      const slice = data.subarray(offset, offset + maxBytes);
      return { content_base64: slice.toString('base64'), size: data.length, truncated: offset + slice.length < data.length };
    },
    file_write: (params) => {
      const path = str(params, 'path');
      const content = Buffer.from(str(params, 'content_base64'), 'base64');
      const previous = params.append === true ? (this.files.get(path) ?? Buffer.alloc(0)) : Buffer.alloc(0);
      this.files.set(path, Buffer.concat([previous, content]));
      return { bytes_written: content.length };
    },
    file_list: (params) => {
      const dir = str(params, 'path').replace(/\\+$/, '');
      const entries = [...this.files.entries()]
        .filter(([name]) => name.startsWith(`${dir}\\`) && !name.slice(dir.length + 1).includes('\\'))
        .map(([name, data]) => ({ name: name.slice(dir.length + 1), type: 'file' as const, size: data.length, modified_at: '2026-01-01T00:00:00.000Z' }));
      return { entries };
    },
    clipboard_get: () => ({ text: this.clipboard }),
    clipboard_set: (params) => {
      if (typeof params.text !== 'string') throw new CommandError(400, 'bad_request', 'text must be a string');
      this.clipboard = params.text;
      return {};
    },
    windows_list: () => ({ windows: this.windows.map((w) => ({ ...w })) }),
    window_focus: (params) => {
      const target = this.windows.find((w) => w.id === params.id || (typeof params.title === 'string' && w.title.includes(params.title)));
      if (target === undefined) throw new CommandError(404, 'not_found', 'no such window');
      for (const w of this.windows) w.focused = w === target;
      return { id: target.id, title: target.title };
    },
    app_launch: (params) => {
      str(params, 'command');
      return { pid: 4242 };
    },
    type_text: (params) => {
      const text = str(params, 'text');
      this.typed += text;
      return { characters: [...text].length };
    },
    env_set: (params) => {
      const vars = (params.vars ?? {}) as Record<string, string | null>;
      for (const [name, value] of Object.entries(vars)) {
        if (value === null) this.env.delete(name);
        else this.env.set(name, value);
      }
      return { names: Object.keys(vars).sort() };
    },
  };

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (req.method === 'GET' && path === '/health') {
      const health: AgentHealth = {
        status: 'ok',
        agent: GUEST_AGENT_NAME,
        version: '1.4.0-fake',
        protocol: GUEST_AGENT_PROTOCOL_VERSION,
        platform: 'win32',
        hostname: 'fake-guest',
      };
      return send(res, 200, health);
    }
    if (req.method === 'GET' && path === '/version') {
      return send(res, 200, { agent: GUEST_AGENT_NAME, version: '1.4.0-fake', protocol: GUEST_AGENT_PROTOCOL_VERSION });
    }
    const command = /^\/v1\/([a-z_]+)$/.exec(path)?.[1];
    if (req.method !== 'POST' || command === undefined) return send(res, 404, { id: null, ok: false, error: { code: 'not_found', message: 'not found' } });

    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      return send(res, 400, { id: null, ok: false, error: { code: 'bad_request', message: 'body is not JSON' } });
    }
    const id = typeof body === 'object' && body !== null && typeof (body as { id?: unknown }).id === 'string' ? (body as { id: string }).id : null;
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return send(res, 401, { id, ok: false, error: { code: 'unauthorized', message: 'bad token' } });
    }
    if (id === null) return send(res, 400, { id: null, ok: false, error: { code: 'bad_request', message: 'id must be a string' } });
    const { id: _id, ...params } = body as Record<string, unknown>;
    this.received.push({ command, id, params });
    const handler = (this.handlers as Record<string, Handler | undefined>)[command];
    if (handler === undefined) return send(res, 404, { id, ok: false, error: { code: 'unsupported', message: `unknown command ${command}` } });
    try {
      return send(res, 200, { id, ok: true, result: handler(params) });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      return send(res, error.status, { id, ok: false, error: { code: error.code, message: error.message } });
    }
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
