import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSpec, NetworkSpec } from '../container-runtime';
import { InMemoryRuntime } from './in-memory.runtime';
import { subnetForIndex } from '@pantheon/ipam';
import { containerName, networkName, projectSelector, resourceLabels } from '../labels';
import { RuntimeError, RuntimeErrorCode } from '../runtime.errors';

const PROJECT = '0b7e4a52-93c1-4d7e-a0f4-3c2f5e9d8a61';
const OTHER = '9d3f6a1b-2c4e-4f5a-8b7c-0d1e2f3a4b5c';
const IMAGE = 'pantheon/vm-standin:dev';

function hasCode(code: RuntimeErrorCode) {
  return (error: unknown) => error instanceof RuntimeError && error.code === code;
}

function networkSpec(projectId: string, index: number): NetworkSpec {
  const subnet = subnetForIndex(index);
  return {
    name: networkName(projectId),
    subnet: subnet.cidr,
    gateway: subnet.gateway,
    labels: resourceLabels({ projectId, role: 'network' }),
  };
}

function vmSpec(projectId: string, index: number, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: containerName('vm', projectId),
    image: IMAGE,
    env: { VERSION: '11', RAM_SIZE: '4G' },
    labels: resourceLabels({ projectId, role: 'vm' }),
    network: { name: networkName(projectId), ip: subnetForIndex(index).vm },
    ...overrides,
  };
}

describe('InMemoryRuntime', () => {
  it('creates a network once and reports drift instead of changing it', async () => {
    const runtime = new InMemoryRuntime();
    const first = await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    const second = await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.network.id, first.network.id);
    assert.deepEqual(second.drift, []);

    const moved = await runtime.ensureNetwork({
      ...networkSpec(PROJECT, 5),
      subnet: '172.30.6.0/24',
      gateway: '172.30.6.254',
    });
    assert.deepEqual(moved.drift.map((entry) => entry.field), ['subnet', 'gateway']);
    assert.equal((await runtime.inspectNetwork(networkName(PROJECT)))?.subnet, '172.30.5.0/24');
  });

  it('refuses an overlapping subnet', async () => {
    const runtime = new InMemoryRuntime();
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await assert.rejects(runtime.ensureNetwork(networkSpec(OTHER, 5)), hasCode(RuntimeErrorCode.SUBNET_IN_USE));
  });

  it('creates and starts a container once, with its static address', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    const first = await runtime.ensureContainer(vmSpec(PROJECT, 5));
    const second = await runtime.ensureContainer(vmSpec(PROJECT, 5));
    assert.deepEqual([first.created, first.started], [true, true]);
    assert.deepEqual([second.created, second.started], [false, false]);
    assert.equal(second.container.id, first.container.id);
    assert.equal(first.container.state, 'running');
    assert.deepEqual(first.container.networks, { [networkName(PROJECT)]: '172.30.5.2' });
    assert.deepEqual(second.drift, []);
  });

  it('restarts a stopped container', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await runtime.ensureContainer(vmSpec(PROJECT, 5));
    runtime.stopContainer(containerName('vm', PROJECT));
    const result = await runtime.ensureContainer(vmSpec(PROJECT, 5));
    assert.deepEqual([result.created, result.started, result.container.state], [false, true, 'running']);
  });

  it('reports env, image and address drift by name only', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE, 'pantheon/other:dev'] });
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await runtime.ensureContainer(vmSpec(PROJECT, 5));
    const result = await runtime.ensureContainer(
      vmSpec(PROJECT, 5, {
        image: 'pantheon/other:dev',
        env: { VERSION: '11', RAM_SIZE: 'secret-looking-value' },
        network: { name: networkName(PROJECT), ip: '172.30.5.9' },
      }),
    );
    assert.deepEqual(
      result.drift.map((entry) => entry.field),
      ['image', 'env', 'network'],
    );
    assert.equal(result.drift[1]?.detail, 'RAM_SIZE');
    assert.ok(!JSON.stringify(result.drift).includes('secret-looking-value'));
  });

  it('reports a rebuilt image as drift', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await runtime.ensureContainer(vmSpec(PROJECT, 5));
    runtime.addImage(IMAGE);
    const result = await runtime.ensureContainer(vmSpec(PROJECT, 5));
    assert.deepEqual(result.drift.map((entry) => entry.field), ['image']);
  });

  it('fails with IMAGE_NOT_FOUND, NOT_FOUND and ADDRESS_IN_USE like the engine', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE] });
    await assert.rejects(runtime.ensureContainer(vmSpec(PROJECT, 5)), hasCode(RuntimeErrorCode.NOT_FOUND));
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await assert.rejects(
      runtime.ensureContainer(vmSpec(PROJECT, 5, { image: 'missing:dev' })),
      hasCode(RuntimeErrorCode.IMAGE_NOT_FOUND),
    );
    await runtime.ensureContainer(vmSpec(PROJECT, 5));
    const clash = vmSpec(PROJECT, 5, { name: containerName('share', PROJECT) });
    await assert.rejects(runtime.ensureContainer(clash), hasCode(RuntimeErrorCode.ADDRESS_IN_USE));
    const onGateway = vmSpec(PROJECT, 5, {
      name: containerName('share', PROJECT),
      network: { name: networkName(PROJECT), ip: '172.30.5.254' },
    });
    await assert.rejects(runtime.ensureContainer(onGateway), hasCode(RuntimeErrorCode.ADDRESS_IN_USE));
  });

  it('rejects invalid specs before touching anything', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE] });
    await assert.rejects(
      runtime.ensureNetwork({ ...networkSpec(PROJECT, 5), gateway: '172.30.9.254' }),
      hasCode(RuntimeErrorCode.INVALID_SPEC),
    );
    await assert.rejects(
      runtime.ensureNetwork({ ...networkSpec(PROJECT, 5), subnet: '172.30.5.7/24' }),
      hasCode(RuntimeErrorCode.INVALID_SPEC),
    );
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await assert.rejects(
      runtime.ensureContainer(vmSpec(PROJECT, 5, { env: { 'BAD-NAME': 'x' } })),
      hasCode(RuntimeErrorCode.INVALID_SPEC),
    );
    await assert.rejects(
      runtime.ensureContainer(
        vmSpec(PROJECT, 5, { mounts: [{ source: 'relative', target: '/shared', readOnly: true }] }),
      ),
      hasCode(RuntimeErrorCode.INVALID_SPEC),
    );
    assert.deepEqual((await runtime.listByLabel(projectSelector(PROJECT))).containers, []);
  });

  it('multi-homes a container and repairs a missing extra attachment', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await runtime.ensureNetwork(networkSpec(OTHER, 6));
    const tools = vmSpec(PROJECT, 5, {
      name: containerName('tools', PROJECT),
      network: { name: networkName(PROJECT), ip: '172.30.5.1' },
      extraNetworks: [{ name: networkName(OTHER) }],
    });
    const result = await runtime.ensureContainer(tools);
    assert.deepEqual(result.container.networks, {
      [networkName(PROJECT)]: '172.30.5.1',
      [networkName(OTHER)]: '172.30.6.1',
    });
    assert.equal(await runtime.connectNetwork(tools.name, networkName(OTHER)), false);
    await assert.rejects(
      runtime.connectNetwork(tools.name, networkName(OTHER), '172.30.6.7'),
      hasCode(RuntimeErrorCode.CONFLICT),
    );
  });

  it('removes idempotently and refuses to drop a network in use', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await runtime.ensureContainer(vmSpec(PROJECT, 5));
    await assert.rejects(runtime.removeNetwork(networkName(PROJECT)), hasCode(RuntimeErrorCode.CONFLICT));
    assert.equal(await runtime.removeContainer(containerName('vm', PROJECT)), true);
    assert.equal(await runtime.removeContainer(containerName('vm', PROJECT)), false);
    assert.equal(await runtime.removeNetwork(networkName(PROJECT)), true);
    assert.equal(await runtime.removeNetwork(networkName(PROJECT)), false);
    assert.equal(await runtime.inspectContainer(containerName('vm', PROJECT)), null);
  });

  it('lists by label, one project at a time', async () => {
    const runtime = new InMemoryRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork(networkSpec(PROJECT, 5));
    await runtime.ensureNetwork(networkSpec(OTHER, 6));
    await runtime.ensureContainer(vmSpec(PROJECT, 5));
    await runtime.ensureContainer(vmSpec(OTHER, 6));
    const listed = await runtime.listByLabel(projectSelector(PROJECT));
    assert.deepEqual(listed.containers.map((container) => container.name), [containerName('vm', PROJECT)]);
    assert.deepEqual(listed.networks.map((network) => network.name), [networkName(PROJECT)]);
    assert.equal((await runtime.listByLabel({})).containers.length, 2);
  });

  it('fails every call with DOCKER_UNAVAILABLE while the engine is away', async () => {
    const runtime = new InMemoryRuntime();
    runtime.setAvailable(false);
    await assert.rejects(runtime.ping(), hasCode(RuntimeErrorCode.DOCKER_UNAVAILABLE));
    await assert.rejects(runtime.listByLabel({}), hasCode(RuntimeErrorCode.DOCKER_UNAVAILABLE));
    runtime.setAvailable(true);
    await runtime.ping();
  });
});
