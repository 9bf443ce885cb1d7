import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GuestAgentClient } from '../guest-agent/guest-agent.client';
import { MAX_UPSTREAM_BODY_BYTES } from '../http/get-json';
import { AGENT_HEALTH, closedPort, FakeVm } from '../testing/fake-vm';
import { ViewerClient } from '../vnc/viewer.client';
import { HealthService } from './health.service';

const PROJECT_ID = '0b6f1c52-3f5e-4c1e-9a8e-2f1d6c7b8a90';
const TIMEOUT_MS = 300;

const loopback = (port: number): URL => new URL(`http://127.0.0.1:${port}/`);

/** The gateway token file as the health check sees it; `value` null = absent. */
const token = { value: 'pt_spec' as string | null, read: async () => token.value };

describe('HealthService against a VM on loopback', () => {
  let vm: FakeVm;
  let health: HealthService;

  before(async () => {
    vm = await FakeVm.start();
    health = new HealthService(PROJECT_ID, {
      viewer: new ViewerClient(loopback(vm.viewerPort), TIMEOUT_MS),
      agent: new GuestAgentClient(loopback(vm.agentPort), TIMEOUT_MS),
    }, token);
  });
  beforeEach(() => {
    vm.reset();
    token.value = 'pt_spec';
  });
  after(() => vm.close());

  it('is ok when the viewer and the guest agent both answer 200', async () => {
    assert.deepEqual(await health.check(), {
      status: 'ok',
      project_id: PROJECT_ID,
      gateway_token: 'present',
      vm: { viewer: 'up', agent: 'up', agent_info: AGENT_HEALTH },
    });
  });

  it('is degraded while the gateway token file is missing', async () => {
    token.value = null;
    assert.deepEqual(await health.check(), {
      status: 'degraded',
      project_id: PROJECT_ID,
      gateway_token: 'missing',
      vm: { viewer: 'up', agent: 'up', agent_info: AGENT_HEALTH },
    });
  });

  it('is degraded when the viewer answers an error status', async () => {
    vm.set('viewer /health', { status: 500, body: '{"status":"starting"}' });
    assert.deepEqual(await health.check(), {
      status: 'degraded',
      project_id: PROJECT_ID,
      gateway_token: 'present',
      vm: { viewer: 'down', agent: 'up', agent_info: AGENT_HEALTH },
    });
  });

  it('is degraded, without agent info, when the agent answers an error status', async () => {
    vm.set('agent /health', { status: 503, body: JSON.stringify({ status: 'booting' }) });
    const report = await health.check();
    assert.equal(report.status, 'degraded');
    assert.deepEqual(report.vm, { viewer: 'up', agent: 'down', agent_info: null });
  });

  it('counts an agent that does not answer within the timeout as down', async () => {
    vm.set('agent /health', { status: 200, body: JSON.stringify(AGENT_HEALTH), delayMs: TIMEOUT_MS * 10 });
    // Had the probe waited for the (200) answer, the agent would read as up.
    assert.deepEqual((await health.check()).vm, { viewer: 'up', agent: 'down', agent_info: null });
  });

  it('counts an agent that is up but answers something other than a JSON object as up, without info', async () => {
    vm.set('agent /health', { status: 200, body: 'OK' });
    assert.deepEqual((await health.check()).vm, { viewer: 'up', agent: 'up', agent_info: null });
    vm.set('agent /health', { status: 200, body: '["ok"]' });
    assert.deepEqual((await health.check()).vm, { viewer: 'up', agent: 'up', agent_info: null });
  });

  it('counts an oversized answer as down rather than buffering it', async () => {
    vm.set('agent /health', { status: 200, body: JSON.stringify({ padding: 'x'.repeat(MAX_UPSTREAM_BODY_BYTES) }) });
    assert.deepEqual((await health.check()).vm, { viewer: 'up', agent: 'down', agent_info: null });
  });

  it('is degraded with both down when nothing listens on the VM ports', async () => {
    const port = await closedPort();
    const offline = new HealthService(PROJECT_ID, {
      viewer: new ViewerClient(loopback(port), TIMEOUT_MS),
      agent: new GuestAgentClient(loopback(port), TIMEOUT_MS),
    }, token);
    assert.deepEqual(await offline.check(), {
      status: 'degraded',
      project_id: PROJECT_ID,
      gateway_token: 'present',
      vm: { viewer: 'down', agent: 'down', agent_info: null },
    });
  });
});
