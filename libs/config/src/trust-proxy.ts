import { PROJECT_SUPERNET } from '@pantheon/ipam';
import ipaddr from 'ipaddr.js';

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

export type TrustProxyParse = { ok: true; cidrs: string[] } | { ok: false; problems: string[] };

const [projectNet, projectBits] = ipaddr.parseCIDR(PROJECT_SUPERNET) as [ipaddr.IPv4, number];
const projectMapped = ipaddr.parse(`::ffff:${projectNet.toString()}`) as ipaddr.IPv6;

/** Whether an address range covers part of the project networks, whose VMs could then forge X-Forwarded-For. */
function coversProjectNetworks(addr: ipaddr.IPv4 | ipaddr.IPv6, bits: number): boolean {
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress() && bits >= 96) return coversProjectNetworks(v6.toIPv4Address(), bits - 96);
    return projectMapped.match(v6, bits);
  }
  const v4 = addr as ipaddr.IPv4;
  return bits <= projectBits ? projectNet.match(v4, bits) : v4.match(projectNet, projectBits);
}

/**
 * TRUST_PROXY as the CIDRs of the reverse proxies whose X-Forwarded-For is believed: empty or `none` = no proxy
 * (the client address is the socket's), `loopback`, and IP addresses or CIDRs, comma-separated. Express's
 * `linklocal`/`uniquelocal` shorthands are refused, and so is any range reaching into the project networks.
 */
export function parseTrustProxy(value: string): TrustProxyParse {
  const entries = value.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  if (entries.length === 1 && (entries[0] === 'none' || entries[0] === 'false')) return { ok: true, cidrs: [] };
  const cidrs: string[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    if (entry === 'loopback') {
      cidrs.push(...LOOPBACK);
      continue;
    }
    if (entry === 'linklocal' || entry === 'uniquelocal' || entry === 'true' || entry === 'none') {
      problems.push(`"${entry}" is not accepted: list the reverse proxies' own addresses (or "loopback")`);
      continue;
    }
    let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      if (entry.includes('/')) range = ipaddr.parseCIDR(entry);
      else if (ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry)) {
        const addr = ipaddr.parse(entry);
        range = [addr, addr.kind() === 'ipv4' ? 32 : 128];
      } else throw new Error('not an address');
    } catch {
      problems.push(`"${entry}" is not an IP address, a CIDR or "loopback"`);
      continue;
    }
    if (coversProjectNetworks(range[0], range[1])) {
      problems.push(`"${entry}" covers the project networks (${PROJECT_SUPERNET}), whose VMs could forge X-Forwarded-For`);
      continue;
    }
    cidrs.push(`${range[0].toString()}/${range[1]}`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, cidrs: [...new Set(cidrs)] };
}
