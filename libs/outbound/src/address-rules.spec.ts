import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAddressRules, classifyAddress, DeniedNetwork } from './address-rules';
import { outboundSettingsFromConfig } from './outbound.settings';

const DENIED: DeniedNetwork[] = [
  { range: 'platform', label: 'an address of the platform network (10.0.1.0/24)', cidr: '10.0.1.0/24' },
  { range: 'projects', label: 'an address of the project networks (172.30.0.0/16)', cidr: '172.30.0.0/16' },
];
const none = buildAddressRules('', DENIED);
const rangeOf = (address: string, rules = none, trusted = false) => classifyAddress(address, rules, trusted)?.range ?? 'allowed';

describe('classifyAddress', () => {
  const cases: [string, string][] = [
    // IPv4
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['169.254.169.254', 'linkLocal'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['10.0.1.4', 'platform'],
    ['172.30.7.2', 'projects'],
    // IPv6
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['2001::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
    // IPv4 inside IPv6: the IPv4 rules decide
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.1.4', 'platform'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:ac1e:0701::1', 'projects'],
    ['::127.0.0.1', 'loopback'],
    ['::192.168.0.1', 'private'],
    // public
    ['8.8.8.8', 'allowed'],
    ['1.1.1.1', 'allowed'],
    ['172.32.0.1', 'allowed'],
    ['100.128.0.1', 'allowed'],
    ['2606:4700:4700::1111', 'allowed'],
    ['::ffff:8.8.8.8', 'allowed'],
    ['64:ff9b::808:808', 'allowed'],
    ['2002:808:808::1', 'allowed'],
  ];
  for (const [address, range] of cases) {
    it(`${address} → ${range}`, () => assert.equal(rangeOf(address), range));
  }

  it('reads odd IPv4 spellings as the address they stand for', () => {
    for (const spelling of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1']) assert.equal(rangeOf(spelling), 'loopback', spelling);
  });

  it('labels a refusal for the message and shows an embedded IPv4 beside its IPv6 form', () => {
    assert.deepEqual(classifyAddress('127.0.0.1', none), { range: 'loopback', label: 'a loopback address', address: '127.0.0.1' });
    assert.deepEqual(classifyAddress('::ffff:127.0.0.1', none), { range: 'loopback', label: 'a loopback address', address: '::ffff:7f00:1 = 127.0.0.1' });
    assert.equal(classifyAddress('10.0.1.4', none)?.label, 'an address of the platform network (10.0.1.0/24)');
  });

  it('refuses what is not an address', () => {
    assert.equal(rangeOf('not-an-ip'), 'invalid');
  });
});

describe('allowlist (OUTBOUND_ALLOW_HOSTS)', () => {
  const rules = buildAddressRules(' models.internal. , 10.9.0.0/16,127.0.0.2,fd00:1::/32 , ', DENIED);

  it('allows addresses in a listed CIDR or equal to a listed address, and nothing next to them', () => {
    assert.equal(rangeOf('10.9.200.1', rules), 'allowed');
    assert.equal(rangeOf('10.10.0.1', rules), 'private');
    assert.equal(rangeOf('127.0.0.2', rules), 'allowed');
    assert.equal(rangeOf('127.0.0.3', rules), 'loopback');
    assert.equal(rangeOf('fd00:1::5', rules), 'allowed');
    assert.equal(rangeOf('fd00:2::5', rules), 'uniqueLocal');
    assert.equal(rangeOf('::ffff:10.9.0.1', rules), 'allowed');
  });

  it('keeps names apart (lower-case, without the trailing dot); a trusted name skips the ranges', () => {
    assert.deepEqual([...rules.allowedHosts], ['models.internal']);
    assert.equal(rangeOf('192.168.5.5', rules, true), 'allowed');
    assert.equal(rangeOf('192.168.5.5', rules, false), 'private');
  });

  it('never opens the platform or project networks', () => {
    const wide = buildAddressRules('10.0.0.0/8,172.16.0.0/12', DENIED);
    assert.equal(rangeOf('10.0.1.4', wide), 'platform');
    assert.equal(rangeOf('10.0.1.4', wide, true), 'platform');
    assert.equal(rangeOf('172.30.1.1', wide, true), 'projects');
    assert.equal(rangeOf('::ffff:172.30.1.1', wide, true), 'projects');
    assert.equal(rangeOf('10.0.2.4', wide), 'allowed');
  });

  it('never opens the configured tools network either, even inside an allowed CIDR', () => {
    const { denied } = outboundSettingsFromConfig({
      OUTBOUND_ALLOW_HOSTS: '10.0.0.0/8', OUTBOUND_DNS_SERVERS: '', OUTBOUND_MAX_BODY_BYTES: 1024, OUTBOUND_MAX_SSE_LINE_BYTES: 1024,
      PLATFORM_SUBNET: '10.0.1.0/24', TOOLS_SUBNET: '10.0.7.0/24',
    });
    const wide = buildAddressRules('10.0.0.0/8', denied);
    assert.equal(rangeOf('10.0.7.4', wide), 'tools');
    assert.equal(rangeOf('10.0.7.4', wide, true), 'tools');
    assert.equal(rangeOf('::ffff:10.0.7.9', wide), 'tools');
    assert.equal(classifyAddress('10.0.7.4', wide, false)?.label, 'an address of the tools network (10.0.7.0/24)');
    assert.equal(rangeOf('10.0.8.4', wide), 'allowed');
  });
});
