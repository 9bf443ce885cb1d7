import { getJson, isJsonObject, UpstreamError, type UpstreamResponse } from '../http/get-json';

export interface AgentHealth {
  up: boolean;
  /** The agent's own health document (agent name, version, OS) when it answered with a JSON object. */
  info: Record<string, unknown> | null;
}

/** The agent gave no usable answer; the message says why and is safe to show to the caller. */
export class GuestAgentError extends Error {
  override readonly name = 'GuestAgentError';
}

/** The in-guest agent on `GUEST_AGENT_PORT`, speaking the Pantheon guest-agent protocol. */
export class GuestAgentClient {
  constructor(
    private readonly baseUrl: URL,
    private readonly timeoutMs: number,
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

  private async get(path: string): Promise<UpstreamResponse> {
    try {
      return await getJson(new URL(path, this.baseUrl), this.timeoutMs);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      switch (error.reason) {
        case 'timeout':
          throw new GuestAgentError(`guest agent did not answer within ${this.timeoutMs} ms`);
        case 'too_large':
          throw new GuestAgentError('guest agent answer is too large');
        case 'unreachable':
          throw new GuestAgentError('guest agent is unreachable');
      }
    }
  }
}
