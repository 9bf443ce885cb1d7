import type { AgentHealth } from '../guest-agent/guest-agent.client';

export type ComponentState = 'up' | 'down';

/** `GET /health` body; the worker reads `status` to decide whether a project is running. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  project_id: string;
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

/**
 * Aggregates the VM's health: `ok` only when both the viewer and the guest agent answer, because a
 * project counts as running only once its desktop can be shown and driven (DESIGN §5). Probes run in
 * parallel and on every call: a cached answer could report a VM that has just stopped as up.
 */
export class HealthService {
  constructor(
    private readonly projectId: string,
    private readonly probes: VmProbes,
  ) {}

  async check(): Promise<HealthReport> {
    const [viewerUp, agent] = await Promise.all([this.probes.viewer.isUp(), this.probes.agent.health()]);
    return {
      status: viewerUp && agent.up ? 'ok' : 'degraded',
      project_id: this.projectId,
      vm: { viewer: viewerUp ? 'up' : 'down', agent: agent.up ? 'up' : 'down', agent_info: agent.info },
    };
  }
}
