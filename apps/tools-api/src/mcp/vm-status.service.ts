import type { Desktop } from '../computer/computer.types';
import type { AgentHealth } from '../guest-agent/guest-agent.client';
import { derivePhase, type VmPhase } from './vm-phase';

/** The `vm_status` tool's answer (serialised as JSON text). */
export interface VmStatusReport {
  phase: VmPhase;
  vnc: {
    connected: boolean;
    /** Null while no framebuffer was received. */
    framebuffer: { width: number; height: number } | null;
    desktop_name: string | null;
    last_error: string | null;
  };
  viewer: 'up' | 'down';
  agent: { status: 'up' | 'down'; version: string | null; platform: string | null };
}

export interface VmStatusProbes {
  viewer: { isUp(): Promise<boolean> };
  agent: { health(): Promise<AgentHealth> };
}

export type AgentGate = { ready: true } | { ready: false; phase: VmPhase };

function stringField(info: Record<string, unknown> | null, name: string): string | null {
  const value = info?.[name];
  return typeof value === 'string' ? value : null;
}

/**
 * Probes the VM on every call (a cached answer could call a stopped VM ready) and remembers only whether the
 * agent has ever answered, which tells `desktop` from `installing` (see derivePhase).
 */
export class VmStatusService {
  private agentSeen = false;

  constructor(
    private readonly desktop: Desktop,
    private readonly probes: VmStatusProbes,
  ) {}

  async report(): Promise<VmStatusReport> {
    const [viewerUp, agent] = await Promise.all([this.probes.viewer.isUp(), this.agentHealth()]);
    const vnc = this.desktop.status();
    const hasFramebuffer = vnc.framebufferWidth > 0 && vnc.framebufferHeight > 0;
    return {
      phase: this.phase(vnc.connected, agent.up),
      vnc: {
        connected: vnc.connected,
        framebuffer: hasFramebuffer ? { width: vnc.framebufferWidth, height: vnc.framebufferHeight } : null,
        desktop_name: vnc.desktopName,
        last_error: vnc.lastError,
      },
      viewer: viewerUp ? 'up' : 'down',
      agent: {
        status: agent.up ? 'up' : 'down',
        version: stringField(agent.info, 'version'),
        platform: stringField(agent.info, 'platform'),
      },
    };
  }

  /** Whether the guest tools may call the agent; asks its health only (one short request). */
  async agentGate(): Promise<AgentGate> {
    const agent = await this.agentHealth();
    if (agent.up) return { ready: true };
    return { ready: false, phase: this.phase(this.desktop.status().connected, false) };
  }

  private async agentHealth(): Promise<AgentHealth> {
    const health = await this.probes.agent.health();
    if (health.up) this.agentSeen = true;
    return health;
  }

  private phase(vncConnected: boolean, agentUp: boolean): VmPhase {
    return derivePhase({ vncConnected, agentUp, agentSeenBefore: this.agentSeen });
  }
}
