import type { AgentHealth } from '../guest-agent/guest-agent.client';

export type ComponentState = 'up' | 'down';

/** `GET /health` body; the worker reads `status` to decide whether a project is running. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  project_id: string;
  /** Whether the project token for the LLM gateway (a file the worker renews) is readable. */
  gateway_token: 'present' | 'missing';
  vm: {
    viewer: ComponentState;
    agent: ComponentState;
    agent_info: Record<string, unknown> | null;
  };
}

/** What the aggregation needs from the VM: one probe per part, each answering within its own deadline. */
export interface VmProbes {
  viewer: { isUp(): Promise<boolean> };
  agent: { health(): Promise<AgentHealth> };
}

/** The gateway token's file (SecretFile in production). */
export interface TokenSource {
  read(): Promise<string | null>;
}

/**
 * Aggregates the VM's health: `ok` only when both the viewer and the guest agent answer (and the gateway
 * token is there), because a
 * project counts as running only once its desktop can be shown and driven (DESIGN §5). Probes run in
 * parallel and on every call: a cached answer could report a VM that has just stopped as up.
 */
export class HealthService {
  constructor(
    private readonly projectId: string,
    private readonly probes: VmProbes,
    private readonly gatewayToken: TokenSource,
  ) {}

  async check(): Promise<HealthReport> {
    const [viewerUp, agent, token] = await Promise.all([
      this.probes.viewer.isUp(),
      this.probes.agent.health(),
      this.gatewayToken.read(),
    ]);
    return {
      // Without its token the project cannot reach the gateway, so it is not ready either.
      status: viewerUp && agent.up && token !== null ? 'ok' : 'degraded',
      project_id: this.projectId,
      gateway_token: token !== null ? 'present' : 'missing',
      vm: { viewer: viewerUp ? 'up' : 'down', agent: agent.up ? 'up' : 'down', agent_info: agent.info },
    };
  }
}
