import { AppConfig, parseTrustProxy } from '@pantheon/config';
import ipaddr from 'ipaddr.js';

/** Express's `trust proxy` function shape: is the hop at `addr` a proxy we believe? */
export type TrustFn = (addr: string, hop?: number) => boolean;

function parse(addr: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    const parsed = ipaddr.parse(addr.replace(/%.*$/, ''));
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
    return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
  } catch {
    return undefined;
  }
}

/** A trust function over TRUST_PROXY's CIDRs (see parseTrustProxy); none trusted when the list is empty. */
export function compileTrust(cidrs: readonly string[]): TrustFn {
  const ranges = cidrs.map((c) => ipaddr.parseCIDR(c));
  if (ranges.length === 0) return () => false;
  return (addr) => {
    const ip = parse(addr);
    return !!ip && ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
  };
}

/**
 * The client of a connection, as Express computes `req.ip` (proxy-addr): walk X-Forwarded-For from the nearest
 * hop while each hop is trusted; the first untrusted hop is the client. Without trusted proxies, the socket's peer.
 */
export function clientAddress(remote: string | undefined, forwardedFor: string | string[] | undefined, trust: TrustFn): string {
  const hops = [remote ?? ''];
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  hops.push(
    ...header
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean)
      .reverse(),
  );
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i]!, i)) return hops[i]!;
  return hops[hops.length - 1]!;
}

/** The trust function of TRUST_PROXY (validated by the config schema, so it parses). */
export function trustFromConfig(config: Pick<AppConfig, 'TRUST_PROXY'>): TrustFn {
  const parsed = parseTrustProxy(config.TRUST_PROXY);
  if (!parsed.ok) throw new Error(`TRUST_PROXY: ${parsed.problems.join('; ')}`);
  return compileTrust(parsed.cidrs);
}
