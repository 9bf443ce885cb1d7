import { lookup, Resolver } from 'node:dns/promises';

/** Every address `hostname` resolves to; an empty list means none. Rejects when resolution failed. */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** getaddrinfo, as every other connection of the process resolves (hosts file included). */
export const systemResolver: HostResolver = async (hostname) => {
  try {
    return (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    if (isNoAddress(err)) return [];
    throw err;
  }
};

/**
 * Queries the given DNS servers (`ip`, `ip:port`, `[ipv6]:port`) for A and AAAA records, bypassing the hosts
 * file: for operators who resolve user-supplied hosts with a dedicated resolver, and for tests.
 */
export function dnsServerResolver(servers: readonly string[], timeoutMs = 2000): HostResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  resolver.setServers([...servers]);
  const records = (query: Promise<string[]>) => query.catch((err: unknown) => (isNoAddress(err) ? [] : Promise.reject(err)));
  return async (hostname) => {
    const [v4, v6] = await Promise.all([records(resolver.resolve4(hostname)), records(resolver.resolve6(hostname))]);
    return [...v4, ...v6];
  };
}

/** "No such name" and "no record of this type" are answers, not failures. */
function isNoAddress(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'NXDOMAIN';
}
