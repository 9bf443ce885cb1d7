import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonLogger } from '../logging/json-logger';
import type { VmGatewayToken } from './platform.client';
import { CHECK_INTERVAL_MS, RETRY_INTERVAL_MS, vmEnvironment, VmEnvPusher } from './vm-env.pusher';

const GATEWAY = new URL('http://172.30.7.3:3000/v1');

function harness() {
  let now = 1_000_000;
  let issued = 0;
  let agentUp = true;
  let instance = 'agent-1';
  let platformDown = false;
  const sent: Record<string, string | null>[] = [];
  const logs: string[] = [];
  const pusher = new VmEnvPusher({
    agent: {
      health: async () => ({ up: agentUp, info: agentUp ? { instance } : null }),
      call: async (_command, params) => {
        sent.push(params.vars);
        return { names: Object.keys(params.vars) };
      },
    },
    platform: {
      issueVmToken: async (): Promise<VmGatewayToken> => {
        if (platformDown) throw new Error('the platform API answered 401');
        issued += 1;
        return { token: `pt_vm-${issued}`, expiresAt: new Date(now + 3_600_000) };
      },
    },
    gatewayUrl: GATEWAY,
    logger: new JsonLogger({ write: (line: string) => logs.push(line) }),
    now: () => now,
  });
  return {
    pusher, sent, logs,
    issued: () => issued,
    advance: (ms: number) => (now += ms),
    set: (s: { agentUp?: boolean; instance?: string; platformDown?: boolean }) => {
      agentUp = s.agentUp ?? agentUp;
      instance = s.instance ?? instance;
      platformDown = s.platformDown ?? platformDown;
    },
  };
}

describe('VmEnvPusher', () => {
  it('names the gateway for both client families with the token', () => {
    assert.deepEqual(vmEnvironment(GATEWAY, { token: 'pt_x', expiresAt: new Date('2030-01-01T00:00:00Z') }), {
      ANTHROPIC_BASE_URL: 'http://172.30.7.3:3000',
      ANTHROPIC_API_KEY: 'pt_x',
      ANTHROPIC_AUTH_TOKEN: 'pt_x',
      OPENAI_BASE_URL: 'http://172.30.7.3:3000/v1',
      OPENAI_API_KEY: 'pt_x',
      PANTHEON_GATEWAY_TOKEN_EXPIRES_AT: '2030-01-01T00:00:00.000Z',
    });
  });

  it('waits for the agent, sends a token once, renews it past half-life, and re-sends to a restarted agent', async () => {
    const h = harness();
    h.set({ agentUp: false });
    assert.equal(await h.pusher.tick(), RETRY_INTERVAL_MS);
    assert.equal(h.issued(), 0, 'no token is minted for an agent that is not up');

    h.set({ agentUp: true });
    assert.equal(await h.pusher.tick(), CHECK_INTERVAL_MS);
    assert.equal(h.sent.length, 1);
    assert.equal(h.sent[0]!.OPENAI_API_KEY, 'pt_vm-1');

    h.advance(CHECK_INTERVAL_MS);
    await h.pusher.tick();
    assert.deepEqual([h.issued(), h.sent.length], [1, 1], 'nothing new while the token is young and the agent the same');

    h.set({ instance: 'agent-2' });
    await h.pusher.tick();
    assert.deepEqual([h.issued(), h.sent.length], [1, 2], 'a restarted agent gets the same token again');
    assert.equal(h.sent[1]!.ANTHROPIC_API_KEY, 'pt_vm-1');

    h.advance(1_800_000 - CHECK_INTERVAL_MS - 1);
    assert.equal(await h.pusher.tick(), 1_000, 'the next look is when renewal is due');
    h.advance(1);
    await h.pusher.tick();
    assert.deepEqual([h.issued(), h.sent.length], [2, 3], 'renewed at half-life');
    assert.equal(h.sent[2]!.ANTHROPIC_API_KEY, 'pt_vm-2');
  });

  it('retries a platform failure, logging it once and never a token', async () => {
    const h = harness();
    h.set({ platformDown: true });
    assert.equal(await h.pusher.tick(), RETRY_INTERVAL_MS);
    assert.equal(await h.pusher.tick(), RETRY_INTERVAL_MS);
    assert.equal(h.logs.filter((l) => l.includes('vm environment not set')).length, 1);
    h.set({ platformDown: false });
    await h.pusher.tick();
    assert.equal(h.sent.length, 1);
    assert.equal(h.logs.some((l) => l.includes('pt_vm')), false);
  });
});
