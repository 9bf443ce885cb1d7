import { randomUUID } from 'node:crypto';
import type { AgentCommandName, AgentCommands, AgentErrorCode } from '@pantheon/guest-agent';
import { getJson, isJsonObject, requestJson, UpstreamError, type UpstreamResponse } from '../http/get-json';

export interface AgentHealth {
  up: boolean;
  /** The agent's own health document (agent name, version, OS) when it answered with a JSON object. */
  info: Record<string, unknown> | null;
}

/** The agent's own error codes, plus what can go wrong before or around its answer. */
export type GuestAgentErrorCode = AgentErrorCode | 'no_token' | 'unreachable' | 'bad_response';

/** The agent gave no usable answer; the message says why and is safe to show to the caller (never the token). */
export class GuestAgentError extends Error {
  override readonly name = 'GuestAgentError';

  constructor(
    message: string,
    readonly code: GuestAgentErrorCode = 'failed',
  ) {
    super(message);
  }
}

/** The agent's bearer token (a SecretFile in production, re-read when the worker replaces it). */
export interface AgentTokenSource {
  read(): Promise<string | null>;
}

export interface CallOptions {
  /** Deadline of the whole exchange; default DEFAULT_COMMAND_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** Deadline of a command unless the caller gives one (shell commands bring their own). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/**
 * Largest command answer read: file_read returns at most 4 MiB as base64 (~5.4 MiB), exec output is capped by
 * the agent. Anything larger is refused rather than buffered.
 */
export const MAX_COMMAND_RESPONSE_BYTES = 8 * 1024 * 1024;

const AGENT_ERROR_CODES: ReadonlySet<string> = new Set<AgentErrorCode>([
  'bad_request',
  'unauthorized',
  'not_found',
  'too_large',
  'timeout',
  'unsupported',
  'failed',
]);

/** The in-guest agent on `GUEST_AGENT_PORT`, speaking the Pantheon guest-agent protocol (libs/guest-agent). */
export class GuestAgentClient {
  constructor(
    private readonly baseUrl: URL,
    /** Deadline of health and info probes. */
    private readonly timeoutMs: number,
    /** Null when no token file is configured: every command then fails with `no_token`. */
    private readonly token: AgentTokenSource | null = null,
  ) {}

  /** Up when `GET /health` answers 200 within the timeout. */
  async health(): Promise<AgentHealth> {
    try {
      const { status, body } = await this.get('/health');
      if (status !== 200) return { up: false, info: null };
      return { up: true, info: isJsonObject(body) ? body : null };
    } catch (error) {
      if (error instanceof GuestAgentError) return { up: false, info: null };
      throw error;
    }
  }

  /**
   * The VM's `GET /info` document.
   * @throws GuestAgentError when the agent does not answer 200 with a JSON object in time.
   */
  async info(): Promise<Record<string, unknown>> {
    const { status, body } = await this.get('/info');
    if (status !== 200) throw new GuestAgentError(`guest agent answered ${status}`);
    if (!isJsonObject(body)) throw new GuestAgentError('guest agent answer is not a JSON object');
    return body;
  }

  /**
   * `POST /v1/<command>` with `{ id, ...params }` and the bearer token; returns the command's `result`.
   * @throws GuestAgentError with the agent's own code and message, or `no_token`, `timeout`, `unreachable`,
   *   `too_large`, `bad_response` when no usable answer arrived.
   */
  async call<C extends AgentCommandName>(
    command: C,
    params: AgentCommands[C]['params'],
    options: CallOptions = {},
  ): Promise<AgentCommands[C]['result']> {
    const token = this.token === null ? null : await this.token.read();
    if (token === null) {
      throw new GuestAgentError('guest agent token is not configured (GUEST_AGENT_TOKEN_FILE missing or unreadable)', 'no_token');
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    // The id ties an answer to its request (and the agent's log line to ours).
    const id = randomUUID();
    let response: UpstreamResponse;
    try {
      response = await requestJson(new URL(`/v1/${command}`, this.baseUrl), {
        method: 'POST',
        body: { id, ...params },
        headers: { authorization: `Bearer ${token}` },
        timeoutMs,
        maxBytes: MAX_COMMAND_RESPONSE_BYTES,
      });
    } catch (error) {
      throw this.upstreamError(error, command, timeoutMs);
    }
    return this.result<C>(command, id, response);
  }

  private result<C extends AgentCommandName>(command: C, id: string, { status, body }: UpstreamResponse): AgentCommands[C]['result'] {
    if (status === 401) throw new GuestAgentError(`guest agent refused the token for ${command} (401)`, 'unauthorized');
    if (!isJsonObject(body)) {
      if (status === 404) throw new GuestAgentError(`guest agent does not know the command ${command} (404)`, 'unsupported');
      throw new GuestAgentError(`guest agent answered ${command} with ${status} and no protocol document`, 'bad_response');
    }
    if (body.id !== id) throw new GuestAgentError(`guest agent answered ${command} for another request id`, 'bad_response');
    if (body.ok === true && status === 200 && isJsonObject(body.result)) {
      return body.result as AgentCommands[C]['result'];
    }
    const error = body.error;
    if (body.ok === false && isJsonObject(error) && typeof error.message === 'string') {
      const code = typeof error.code === 'string' && AGENT_ERROR_CODES.has(error.code) ? (error.code as AgentErrorCode) : 'failed';
      throw new GuestAgentError(`${command} failed (${code}): ${error.message}`, code);
    }
    throw new GuestAgentError(`guest agent answered ${command} with ${status} and a malformed document`, 'bad_response');
  }

  private async get(path: string): Promise<UpstreamResponse> {
    try {
      return await getJson(new URL(path, this.baseUrl), this.timeoutMs);
    } catch (error) {
      throw this.upstreamError(error, null, this.timeoutMs);
    }
  }

  /** `command` names the command in the message; null for the health and info probes. */
  private upstreamError(error: unknown, command: string | null, timeoutMs: number): unknown {
    if (!(error instanceof UpstreamError)) return error;
    const what = command === null ? '' : ` ${command}`;
    switch (error.reason) {
      case 'timeout':
        return new GuestAgentError(`guest agent did not answer${what} within ${timeoutMs} ms`, 'timeout');
      case 'too_large':
        return new GuestAgentError(`guest agent answer${command === null ? '' : ` to ${command}`} is too large`, 'too_large');
      case 'unreachable':
        return new GuestAgentError('guest agent is unreachable', 'unreachable');
    }
  }
}
