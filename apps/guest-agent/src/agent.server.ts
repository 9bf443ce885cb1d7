import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname, release, type } from 'node:os';
import {
  AGENT_COMMAND_NAMES,
  AGENT_ERROR_STATUS,
  GUEST_AGENT_LIMITS,
  GUEST_AGENT_NAME,
  GUEST_AGENT_PROTOCOL_VERSION,
  type AgentErrorCode,
  type AgentHealth,
  type AgentInfo,
  type AgentVersion,
} from '@pantheon/guest-agent';
import { AgentError } from './agent-error';
import { DEFAULT_COMMAND_LIMITS, isCommandName, runCommand, type CommandLimits } from './commands/agent-commands';
import type { OsAdapter } from './os/os-adapter';
import { probeTcp } from './probe';
import { TokenAuth } from './token-auth';

export const AGENT_VERSION = '0.1.0';

export interface AgentServerOptions {
  adapter: OsAdapter;
  tokenFile: string;
  bodyLimitBytes?: number;
  limits?: Partial<CommandLimits>;
  probeTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** One JSON line per request (never headers or bodies); default stdout. */
  log?: (line: Record<string, unknown>) => void;
}

const SPEC_KEYS = ['VERSION', 'RAM_SIZE', 'CPU_CORES', 'DISK_SIZE'] as const;
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

function sendError(res: ServerResponse, id: string, code: AgentErrorCode, message: string): void {
  send(res, AGENT_ERROR_STATUS[code], { id, ok: false, error: { code, message } });
}

/** The body, or an AgentError('too_large') as soon as it passes the limit (the rest is not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new AgentError('too_large', `body exceeds ${limit} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        return reject(new AgentError('too_large', `body exceeds ${limit} bytes`));
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * The guest agent's HTTP surface (protocol in libs/guest-agent). Public: `GET /health`, `/version`, `/info`,
 * `/probe`; everything else needs the bearer token, checked before routing so an unauthenticated caller learns
 * nothing about which commands exist.
 */
export function createAgentServer(options: AgentServerOptions): Server {
  const { adapter } = options;
  const auth = new TokenAuth(options.tokenFile);
  const bodyLimit = options.bodyLimitBytes ?? GUEST_AGENT_LIMITS.bodyBytes;
  const limits = { ...DEFAULT_COMMAND_LIMITS, ...options.limits };
  const env = options.env ?? process.env;
  const log = options.log ?? ((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  // Lets the tools API notice a restarted agent (or VM) and re-send what it keeps in the VM (env_set).
  const instance = randomUUID();

  const health = (): AgentHealth => ({
    status: 'ok',
    agent: GUEST_AGENT_NAME,
    version: AGENT_VERSION,
    protocol: GUEST_AGENT_PROTOCOL_VERSION,
    platform: adapter.platform,
    hostname: hostname(),
    instance,
  });
  const version = (): AgentVersion => ({
    agent: GUEST_AGENT_NAME,
    version: AGENT_VERSION,
    protocol: GUEST_AGENT_PROTOCOL_VERSION,
    platform: adapter.platform,
    commands: [...AGENT_COMMAND_NAMES],
  });
  const info = (): AgentInfo => {
    const spec: AgentInfo['spec'] = {};
    for (const key of SPEC_KEYS) if (env[key]) spec[key] = env[key];
    return { hostname: hostname(), platform: adapter.platform, os: `${type()} ${release()}`, spec };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      switch (url.pathname) {
        case '/health':
          return send(res, 200, health());
        case '/version':
          return send(res, 200, version());
        case '/info':
          return send(res, 200, info());
        case '/probe':
          return send(res, 200, await probeTcp(url.searchParams.get('host'), url.searchParams.get('port'), options.probeTimeoutMs ?? 1500));
      }
    }
    if (!(await auth.check(req.headers.authorization))) {
      return sendError(res, requestId, 'unauthorized', 'a valid bearer token is required');
    }
    const match = /^\/v1\/([a-z_]+)$/.exec(url.pathname);
    if (match === null || !isCommandName(match[1]!)) {
      return sendError(res, requestId, 'not_found', `unknown command or route: ${method} ${url.pathname}`);
    }
    if (method !== 'POST') return send(res, 405, { id: requestId, ok: false, error: { code: 'bad_request', message: 'use POST' } });
    const raw = await readBody(req, bodyLimit);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      return sendError(res, requestId, 'bad_request', `body is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendError(res, requestId, 'bad_request', 'body must be a JSON object');
    }
    const params = body as Record<string, unknown>;
    // The caller's id is echoed; a missing or odd one falls back to ours so every answer stays correlatable.
    const id = typeof params.id === 'string' && ID_PATTERN.test(params.id) ? params.id : requestId;
    const result = await runCommand(match[1] as never, params, adapter, limits).catch((error: unknown) => {
      if (error instanceof AgentError) return error;
      throw error;
    });
    if (result instanceof AgentError) return sendError(res, id, result.code, result.message);
    return send(res, 200, { id, ok: true, result });
  };

  return createServer((req, res) => {
    const started = Date.now();
    const headerId = req.headers['x-request-id'];
    const requestId = typeof headerId === 'string' && ID_PATTERN.test(headerId) ? headerId : randomUUID();
    res.once('finish', () =>
      log({ msg: 'request', method: req.method, path: (req.url ?? '/').split('?')[0], status: res.statusCode, ms: Date.now() - started, request_id: requestId }),
    );
    handle(req, res, requestId).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof AgentError) return sendError(res, requestId, error.code, error.message);
      log({ msg: 'unhandled', request_id: requestId, error: (error as Error).name });
      sendError(res, requestId, 'failed', `internal error (request ${requestId})`);
    });
  });
}
