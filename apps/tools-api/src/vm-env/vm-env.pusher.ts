import type { AgentCommands } from '@pantheon/guest-agent';
import type { AgentHealth } from '../guest-agent/guest-agent.client';
import type { JsonLogger } from '../logging/json-logger';
import { gatewayBase, gatewayOrigin, type VmGatewayToken } from './platform.client';

/** How often the agent is looked at while all is well (a restarted agent or VM gets its environment again). */
export const CHECK_INTERVAL_MS = 30_000;
/** After a failure (agent not up yet, platform unreachable). */
export const RETRY_INTERVAL_MS = 5_000;

export interface VmEnvDeps {
  agent: {
    health(): Promise<AgentHealth>;
    call(command: 'env_set', params: AgentCommands['env_set']['params']): Promise<AgentCommands['env_set']['result']>;
  };
  platform: { issueVmToken(): Promise<VmGatewayToken> };
  /** The gateway as the VM reaches it, `…/v1`. */
  gatewayUrl: URL;
  logger: JsonLogger;
  now?: () => number;
}

/**
 * The variables coding agents in the VM read. Claude Code and the Anthropic SDKs: ANTHROPIC_BASE_URL (origin,
 * they add `/v1/messages`), ANTHROPIC_API_KEY (sent as `x-api-key`) and ANTHROPIC_AUTH_TOKEN (sent as a bearer; what
 * Claude Code documents for gateways); Codex and the OpenAI SDKs: OPENAI_BASE_URL (with `/v1`) and OPENAI_API_KEY.
 * The gateway takes the same project token in either header.
 */
export function vmEnvironment(gatewayUrl: URL, token: VmGatewayToken): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: gatewayOrigin(gatewayUrl),
    ANTHROPIC_API_KEY: token.token,
    ANTHROPIC_AUTH_TOKEN: token.token,
    OPENAI_BASE_URL: gatewayBase(gatewayUrl),
    OPENAI_API_KEY: token.token,
    PANTHEON_GATEWAY_TOKEN_EXPIRES_AT: token.expiresAt.toISOString(),
  };
}

/**
 * Keeps the VM user's environment pointed at the gateway with a live, short-lived project token: asks the
 * platform for one (kind `vm`) and sends it to the guest agent (`env_set`), again past half its life, and again
 * whenever the agent is a new instance (restarted agent or VM). The token stays in memory here and in the VM user's
 * environment; it is never logged.
 */
export class VmEnvPusher {
  private token: (VmGatewayToken & { renewAt: number }) | null = null;
  /** The agent instance that holds the current token, null when it has not been sent. */
  private sentTo: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastError: string | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: VmEnvDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One pass; resolves with the delay until the next (exposed for specs). */
  async tick(): Promise<number> {
    try {
      const health = await this.deps.agent.health();
      if (!health.up) return RETRY_INTERVAL_MS;
      const instance = typeof health.info?.instance === 'string' ? health.info.instance : 'unknown';
      if (this.token === null || this.now() >= this.token.renewAt) {
        const issued = await this.deps.platform.issueVmToken();
        const now = this.now();
        this.token = { ...issued, renewAt: now + Math.max(0, issued.expiresAt.getTime() - now) / 2 };
        this.sentTo = null;
      }
      if (this.sentTo !== instance) {
        await this.deps.agent.call('env_set', { vars: vmEnvironment(this.deps.gatewayUrl, this.token) });
        this.sentTo = instance;
        this.lastError = null;
        this.deps.logger.info('vm environment set', { expires_at: this.token.expiresAt.toISOString() });
      }
      return Math.max(1_000, Math.min(CHECK_INTERVAL_MS, this.token.renewAt - this.now()));
    } catch (error) {
      // Messages of our clients never hold a token; log each distinct one once, not every retry.
      const message = error instanceof Error ? error.message : 'unknown error';
      if (message !== this.lastError) this.deps.logger.error('vm environment not set; retrying', { error: message });
      this.lastError = message;
      return RETRY_INTERVAL_MS;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().then((next) => this.schedule(next));
    }, delayMs);
    this.timer.unref();
  }
}
