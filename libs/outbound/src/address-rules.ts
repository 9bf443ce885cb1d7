import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

/** Why an address is refused. */
export interface Refusal {
  /** The range's name, e.g. `loopback`, `private`, `platform`. */
  range: string;
  /** How a message reads it: "a loopback address". */
  label: string;
  /** The address as checked; an embedded IPv4 is shown beside its IPv6 form. */
  address: string;
}

/** A network that stays refused whatever the allowlist says (the platform's own and the projects'). */
export interface DeniedNetwork {
  range: string;
  /** e.g. "an address of the platform network (10.0.1.0/24)". */
  label: string;
  cidr: string;
}

/** The parsed policy: operator exceptions and the networks no exception opens. */
export interface AddressRules {
  denied: { range: string; label: string; cidr: Cidr }[];
  allowedCidrs: Cidr[];
  /** Lower-case names without a trailing dot. */
  allowedHosts: ReadonlySet<string>;
}

// ipaddr.js files 198.18.0.0/15 under `reserved`; RFC 2544's benchmark range gets its own name here.
const BENCHMARKING_V4: Cidr = ipaddr.parseCIDR('198.18.0.0/15');
const NAT64_WELL_KNOWN: Cidr = ipaddr.parseCIDR('64:ff9b::/96');
// Deprecated IPv4-compatible addresses (::a.b.c.d); `::` and `::1` are classified before this applies.
const IPV4_COMPATIBLE: Cidr = ipaddr.parseCIDR('::/96');

const LABELS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  private: 'a private (RFC 1918) address',
  benchmarking: 'a benchmarking address',
  uniqueLocal: 'a unique-local (fc00::/7) address',
  teredo: 'a Teredo tunnel address',
};

/** The IPv4 address an IPv6 form carries (mapped, translated, NAT64, 6to4, IPv4-compatible), if any. */
function embeddedIPv4(addr: ipaddr.IPv6, range: string): ipaddr.IPv4 | undefined {
  const bytes = addr.toByteArray();
  const v4 = (from: number) => ipaddr.fromByteArray(bytes.slice(from, from + 4)) as ipaddr.IPv4;
  if (range === 'ipv4Mapped') return addr.toIPv4Address();
  if (range === 'rfc6145') return v4(12);
  if (range === 'rfc6052' && addr.match(NAT64_WELL_KNOWN)) return v4(12);
  if (range === '6to4') return v4(2);
  if (range === 'unicast' && addr.match(IPV4_COMPATIBLE)) return v4(12);
  return undefined;
}

function sameKind(addr: Address, cidr: Cidr): boolean {
  return addr.kind() === cidr[0].kind();
}

function matches(addr: Address, cidr: Cidr): boolean {
  return sameKind(addr, cidr) && addr.match(cidr);
}

/**
 * Parses the operator's allowlist (`OUTBOUND_ALLOW_HOSTS`): CIDRs, single addresses (as /32 or /128) and host
 * names. Entries were validated with the config.
 */
export function buildAddressRules(allowHosts: string, denied: readonly DeniedNetwork[]): AddressRules {
  const allowedCidrs: Cidr[] = [];
  const allowedHosts = new Set<string>();
  for (const entry of allowHosts.split(',').map((e) => e.trim()).filter(Boolean)) {
    if (ipaddr.isValidCIDR(entry)) allowedCidrs.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry)) {
      const addr = ipaddr.parse(entry);
      allowedCidrs.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else allowedHosts.add(normalizeHostName(entry));
  }
  return { allowedCidrs, allowedHosts, denied: denied.map((d) => ({ range: d.range, label: d.label, cidr: ipaddr.parseCIDR(d.cidr) })) };
}

/** Host names compare lower-case and without the trailing dot of a fully qualified name. */
export function normalizeHostName(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

/**
 * Whether a connection to `address` is refused, and why. `trustedHost`: the address came from a host name the
 * operator allowlisted, so only the denied networks apply. Undefined means allowed.
 */
export function classifyAddress(address: string, rules: AddressRules, trustedHost = false): Refusal | undefined {
  if (!ipaddr.isValid(address)) return { range: 'invalid', label: 'not an IP address', address };
  const addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    const embedded = embeddedIPv4(v6, v6.range());
    if (embedded) {
      // The IPv6 form reaches the IPv4 host, so the IPv4 rules decide.
      const refusal = classifyAddress(embedded.toString(), rules, trustedHost);
      return refusal && { ...refusal, address: `${v6.toString()} = ${embedded.toString()}` };
    }
  }
  const shown = addr.toString();
  const denied = rules.denied.find((d) => matches(addr, d.cidr));
  if (denied) return { range: denied.range, label: denied.label, address: shown };
  if (trustedHost || rules.allowedCidrs.some((c) => matches(addr, c))) return undefined;
  const range = addr.kind() === 'ipv4' && addr.match(BENCHMARKING_V4) ? 'benchmarking' : addr.range();
  if (range === 'unicast') return undefined;
  return { range, label: LABELS[range] ?? 'a reserved address', address: shown };
}
