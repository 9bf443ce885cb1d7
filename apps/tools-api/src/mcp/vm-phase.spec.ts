import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { derivePhase, type PhaseSignals } from './vm-phase';

describe('derivePhase', () => {
  it('follows the documented rule for every combination of signals', () => {
    const cases: [PhaseSignals, string][] = [
      [{ vncConnected: false, agentUp: false, agentSeenBefore: false }, 'booting'],
      [{ vncConnected: false, agentUp: false, agentSeenBefore: true }, 'booting'],
      [{ vncConnected: true, agentUp: false, agentSeenBefore: false }, 'installing'],
      [{ vncConnected: true, agentUp: false, agentSeenBefore: true }, 'desktop'],
      [{ vncConnected: true, agentUp: true, agentSeenBefore: false }, 'agent_ready'],
      [{ vncConnected: true, agentUp: true, agentSeenBefore: true }, 'agent_ready'],
      // The agent answering is proof enough that Windows runs, even while the RFB connection is re-established.
      [{ vncConnected: false, agentUp: true, agentSeenBefore: true }, 'agent_ready'],
    ];
    for (const [signals, phase] of cases) assert.equal(derivePhase(signals), phase, JSON.stringify(signals));
  });
});
