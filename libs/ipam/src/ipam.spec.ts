import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, cidrsOverlap, subnetForIndex } from './ipam';
import { IpamError, IpamErrorCode } from './ipam.errors';

describe('subnetForIndex', () => {
  it('lays out 172.30.n.0/24 with gateway .254 and fixed role addresses', () => {
    assert.deepEqual(subnetForIndex(7), {
      index: 7,
      cidr: '172.30.7.0/24',
      gateway: '172.30.7.254',
      tools: '172.30.7.1',
      vm: '172.30.7.2',
      backend: '172.30.7.3',
      share: '172.30.7.20',
    });
  });

  it('accepts both ends of 1..254', () => {
    assert.equal(subnetForIndex(1).cidr, '172.30.1.0/24');
    assert.equal(subnetForIndex(254).gateway, '172.30.254.254');
  });

  it('rejects indexes outside 1..254 and non-integers with SUBNET_INDEX_OUT_OF_RANGE', () => {
    for (const index of [0, 255, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => subnetForIndex(index),
        (error: unknown) => error instanceof IpamError && error.code === IpamErrorCode.SUBNET_INDEX_OUT_OF_RANGE,
        `index ${index}`,
      );
    }
  });

  it('keeps every role address inside the subnet and distinct from the gateway', () => {
    const subnet = subnetForIndex(42);
    const addresses = [subnet.tools, subnet.vm, subnet.backend, subnet.share];
    for (const address of addresses) assert.ok(cidrContains(subnet.cidr, address), address);
    assert.equal(new Set([...addresses, subnet.gateway]).size, 5);
  });
});

describe('CIDR helpers', () => {
  it('tests containment at the edges of a range', () => {
    assert.equal(cidrContains('172.30.5.0/24', '172.30.5.0'), true);
    assert.equal(cidrContains('172.30.5.0/24', '172.30.5.255'), true);
    assert.equal(cidrContains('172.30.5.0/24', '172.30.6.0'), false);
    assert.equal(cidrContains('172.30.5.0/24', 'not-an-ip'), false);
    assert.equal(cidrContains('bogus', '172.30.5.1'), false);
  });

  it('detects overlap between different prefix lengths', () => {
    assert.equal(cidrsOverlap('172.30.0.0/16', '172.30.9.0/24'), true);
    assert.equal(cidrsOverlap('172.30.9.0/24', '172.30.10.0/24'), false);
  });
});
