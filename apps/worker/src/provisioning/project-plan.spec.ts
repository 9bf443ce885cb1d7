import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { subnetForIndex } from '@pantheon/ipam';
import { LABEL_KEYS } from '@pantheon/runtime';
import { testConfig } from '../worker.fixture';
import { platformNetworkSpec, ProjectPlan, toolsNetworkSpec } from './project-plan';

const PROJECT = '0b9f1c7e-4d6a-4f1e-9a51-1f2e3d4c5b6a';
const OWNER = '7c1d2e3f-1111-4222-8333-944455566677';

function plan(env: Record<string, string> = {}) {
  return new ProjectPlan(testConfig(env), {
    projectId: PROJECT,
    ownerId: OWNER,
    subnet: subnetForIndex(7),
    vm: { ram_gb: 8, cpu_cores: 4, disk_gb: 64, windows_version: '11' },
  });
}

describe('ProjectPlan', () => {
  it('puts the network at 172.30.n.0/24 with gateway .254 and labels it', () => {
    const n = plan().network();
    assert.equal(n.subnet, '172.30.7.0/24');
    assert.equal(n.gateway, '172.30.7.254');
    assert.equal(n.labels[LABEL_KEYS.project], PROJECT);
    assert.equal(n.labels[LABEL_KEYS.role], 'network');
    assert.equal(n.labels[LABEL_KEYS.owner], OWNER);
  });

  it('gives the VM the dockurr/windows spec, /dev/kvm, NET_ADMIN, /oem and /shared at .2', () => {
    const vm = plan().vm();
    assert.deepEqual(vm.env, { VERSION: '11', RAM_SIZE: '8G', CPU_CORES: '4', DISK_SIZE: '64G' });
    assert.deepEqual(vm.devices, ['/dev/kvm']);
    assert.deepEqual(vm.capAdd, ['NET_ADMIN']);
    assert.equal(vm.network.ip, '172.30.7.2');
    assert.deepEqual(vm.mounts, [
      { source: `/srv/oem/${PROJECT}`, target: '/oem', readOnly: true },
      { source: `/srv/shares/${PROJECT}`, target: '/shared', readOnly: false },
    ]);
  });

  it('limits the VM by its spec (RAM + emulator overhead, cores, pids), drops every capability but NET_ADMIN', () => {
    const vm = plan().vm();
    assert.equal(vm.memoryBytes, (8 * 1024 + 1024) * 1024 * 1024, '8 GB guest + 1024 MB default overhead');
    assert.equal(vm.nanoCpus, 4_000_000_000);
    assert.equal(vm.pidsLimit, 2048);
    assert.deepEqual([vm.capDrop, vm.capAdd, vm.noNewPrivileges, vm.readOnlyRootfs], [['ALL'], ['NET_ADMIN'], true, undefined]);
    const tuned = plan({ VM_MEMORY_OVERHEAD_MB: '512', VM_PIDS_LIMIT: '4096', VM_CAP_ADD: 'NET_ADMIN,MKNOD' }).vm();
    assert.deepEqual([tuned.memoryBytes, tuned.pidsLimit, tuned.capAdd], [(8 * 1024 + 512) * 1024 * 1024, 4096, ['NET_ADMIN', 'MKNOD']]);
    assert.deepEqual(plan({ VM_CAP_ADD: 'none' }).vm().capAdd, []);
  });

  it('runs the tools API and the share server with fixed limits, no capabilities and a read-only root', () => {
    const p = plan({ TOOLS_MEMORY_MB: '300', TOOLS_CPU_MILLICORES: '750', TOOLS_PIDS_LIMIT: '99' });
    const expect = (spec: ReturnType<typeof p.tools>, memoryMb: number, nanoCpus: number, pids: number) => {
      assert.equal(spec.memoryBytes, memoryMb * 1024 * 1024, spec.name);
      assert.equal(spec.nanoCpus, nanoCpus, spec.name);
      assert.equal(spec.pidsLimit, pids, spec.name);
      assert.deepEqual(spec.capDrop, ['ALL'], spec.name);
      assert.equal(spec.capAdd, undefined, spec.name);
      assert.equal(spec.noNewPrivileges, true, spec.name);
      assert.equal(spec.readOnlyRootfs, true, spec.name);
      assert.match(spec.tmpfs?.['/tmp'] ?? '', /noexec/, `${spec.name} gets a scratch /tmp`);
    };
    expect(p.tools(), 300, 750_000_000, 99);
    expect(p.share(), 128, 250_000_000, 64);
  });

  it('passes no devices when VM_DEVICES is none (stand-in images, no KVM)', () => {
    assert.deepEqual(plan({ VM_DEVICES: 'none' }).vm().devices, []);
    assert.deepEqual(plan({ VM_DEVICES: '/dev/kvm,/dev/net/tun' }).vm().devices, ['/dev/kvm', '/dev/net/tun']);
  });

  it('multi-homes the tools API at .1 and on the tools network (not the platform one), credentials as files only', () => {
    const tools = plan().tools();
    assert.equal(tools.network.ip, '172.30.7.1');
    assert.deepEqual(tools.extraNetworks, [{ name: 'pantheon-tools' }]);
    assert.deepEqual(Object.keys(tools.env).sort(), [
      'GUEST_AGENT_TOKEN_FILE', 'PANTHEON_API_CREDENTIAL_FILE', 'PANTHEON_GATEWAY_URL', 'PANTHEON_PROJECT_TOKEN_FILE', 'PORT', 'PROJECT_ID', 'VM_HOST',
      'VM_VIEWER_PORT',
    ]);
    assert.equal(tools.env.GUEST_AGENT_TOKEN_FILE, '/run/pantheon/guest-agent-token');
    assert.equal(tools.env.VM_HOST, '172.30.7.2');
    assert.equal(tools.env.PANTHEON_PROJECT_TOKEN_FILE, '/run/pantheon/project-token');
    assert.equal(tools.env.PANTHEON_API_CREDENTIAL_FILE, '/run/pantheon/api-credential');
    assert.equal(tools.env.PANTHEON_GATEWAY_URL, 'http://172.30.7.3:3000/v1', "the gateway at the backend's project-network address");
    assert.deepEqual(tools.mounts, [{ source: `/srv/tools-credentials/${PROJECT}`, target: '/run/pantheon', readOnly: true }]);
  });

  it('describes the tools network with inter-container traffic off, gateway .1 (the host)', () => {
    const n = toolsNetworkSpec(testConfig({ TOOLS_SUBNET: '10.9.2.0/24', TOOLS_NETWORK: 'tools-x', RUNTIME_TEST_RUN_LABEL: 'run-1' }));
    assert.deepEqual([n.name, n.subnet, n.gateway, n.isolated, n.internal], ['tools-x', '10.9.2.0/24', '10.9.2.1', true, undefined]);
    assert.equal(n.labels[LABEL_KEYS.project], undefined, 'never mistaken for a project object');
    assert.equal(n.labels[LABEL_KEYS.testRun], 'run-1');
  });

  it("tells programs in the VM both gateway formats and the MCP relay, at the backend's .3", () => {
    const config = plan().shareClientConfig();
    assert.deepEqual(config, {
      projectId: PROJECT,
      openaiBaseUrl: 'http://172.30.7.3:3000/v1',
      anthropicBaseUrl: 'http://172.30.7.3:3000',
      mcpUrl: `http://172.30.7.3:3000/api/projects/${PROJECT}/mcp`,
    });
  });

  it('serves the shared folder read-only at .20', () => {
    const share = plan().share();
    assert.equal(share.network.ip, '172.30.7.20');
    assert.deepEqual(share.mounts, [{ source: `/srv/shares/${PROJECT}`, target: '/shared', readOnly: true }]);
  });

  it('labels every object with the test run when configured, and describes the platform network', () => {
    const p = plan({ RUNTIME_TEST_RUN_LABEL: 'run-1', PLATFORM_SUBNET: '10.9.8.0/24', PLATFORM_NETWORK: 'plat' });
    for (const spec of [p.network(), p.vm(), p.tools(), p.share()]) assert.equal(spec.labels[LABEL_KEYS.testRun], 'run-1');
    const platform = platformNetworkSpec(testConfig({ PLATFORM_SUBNET: '10.9.8.0/24', PLATFORM_NETWORK: 'plat' }));
    assert.deepEqual([platform.name, platform.subnet, platform.gateway], ['plat', '10.9.8.0/24', '10.9.8.1']);
    assert.equal(platform.labels[LABEL_KEYS.project], undefined, 'never mistaken for a project object');
  });
});
