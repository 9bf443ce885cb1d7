/** What a model can expect of the project's VM right now (DESIGN §5a). */
export type VmPhase = 'booting' | 'installing' | 'desktop' | 'agent_ready';

export interface PhaseSignals {
  /** The persistent RFB connection to QEMU's VNC server is up (Desktop.status().connected). */
  vncConnected: boolean;
  /** The guest agent answers `GET /health` with 200. */
  agentUp: boolean;
  /** The agent answered at least once since this process started. */
  agentSeenBefore: boolean;
}

/**
 * The phase rule, first match wins:
 * 1. agent healthy → `agent_ready` (Windows is installed, logged on, and the agent runs: every tool works);
 * 2. VNC not connected → `booting` (the container is preparing or downloading the image, QEMU not up yet:
 *    dockurr serves its progress page on the viewer port before QEMU starts, so the viewer does not count);
 * 3. agent seen before → `desktop` (Windows runs, the agent is restarting or the user logged off);
 * 4. otherwise → `installing` (QEMU runs, the agent has never answered: Windows setup, first logon, /oem).
 * The viewer's health is reported beside the phase, not used: it answers in every phase but the first seconds.
 * "Seen before" lives in memory (one tools API per project), so after a restart of this process a VM whose
 * agent is down reads `installing` until the agent answers once.
 */
export function derivePhase(signals: PhaseSignals): VmPhase {
  if (signals.agentUp) return 'agent_ready';
  if (!signals.vncConnected) return 'booting';
  return signals.agentSeenBefore ? 'desktop' : 'installing';
}
