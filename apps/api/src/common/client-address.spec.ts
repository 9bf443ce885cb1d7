import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTrustProxy } from '@pantheon/config';
import { clientAddress, compileTrust } from './client-address';

const trustOf = (value: string) => {
  const parsed = parseTrustProxy(value);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return compileTrust(parsed.cidrs);
};

describe('TRUST_PROXY', () => {
  it('trusts nobody by default: the socket peer is the client whatever X-Forwarded-For says', () => {
    for (const value of ['', 'none']) {
      const trust = trustOf(value);
      assert.equal(clientAddress('127.0.0.1', '203.0.113.9', trust), '127.0.0.1');
      assert.equal(clientAddress('172.30.4.2', '203.0.113.9, 10.0.0.1', trust), '172.30.4.2');
    }
  });

  it('with loopback, believes a loopback proxy, also as ::ffff:127.0.0.1 or ::1', () => {
    const trust = trustOf('loopback');
    assert.equal(clientAddress('127.0.0.1', '203.0.113.9', trust), '203.0.113.9');
    assert.equal(clientAddress('::ffff:127.0.0.1', '203.0.113.9', trust), '203.0.113.9');
    assert.equal(clientAddress('::1', '2001:db8::7', trust), '2001:db8::7');
    assert.equal(clientAddress('127.0.0.1', undefined, trust), '127.0.0.1');
    // Only the trusted hops are skipped: a client that forges an extra hop is still named by the proxy.
    assert.equal(clientAddress('127.0.0.1', '198.51.100.1, 203.0.113.9', trust), '203.0.113.9');
    assert.equal(clientAddress('172.30.4.2', '203.0.113.9', trust), '172.30.4.2');
  });

  it('accepts IPs and CIDRs, normalised', () => {
    assert.deepEqual(parseTrustProxy(' 10.0.1.10 , 10.0.1.0/28,fd00::1 '), { ok: true, cidrs: ['10.0.1.10/32', '10.0.1.0/28', 'fd00::1/128'] });
    const trust = trustOf('10.0.1.10');
    assert.equal(clientAddress('10.0.1.10', '198.51.100.7', trust), '198.51.100.7');
    assert.equal(clientAddress('10.0.1.11', '198.51.100.7', trust), '10.0.1.11');
  });

  it('refuses shorthands that trust VMs, ranges covering the project networks, and junk, naming each', () => {
    for (const value of ['uniquelocal', 'linklocal', 'true', '172.16.0.0/12', '172.30.4.2', '0.0.0.0/0', '::/0', '::ffff:172.30.0.0/112', 'proxy.internal', '10.0.1.0/33', 'loopback,none']) {
      const parsed = parseTrustProxy(value);
      assert.equal(parsed.ok, false, value);
      assert.ok(!parsed.ok && parsed.problems.length > 0 && parsed.problems.every((p) => p.length > 10), value);
    }
  });
});
