import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { AddressRules, buildAddressRules, classifyAddress, DeniedNetwork, normalizeHostName, Refusal } from './address-rules';
import { BodyLimits, boundedResponse } from './bounded-body';
import { dnsServerResolver, HostResolver, systemResolver } from './host-resolver';
import { OutboundError, OutboundErrorCode } from './outbound.errors';

export interface OutboundSettings extends BodyLimits {
  /** `OUTBOUND_ALLOW_HOSTS`: host names and CIDRs exempt from the address rules. */
  allowHosts: string;
  /** Networks refused even when allowlisted. */
  denied: DeniedNetwork[];
  /** Resolve with these DNS servers instead of the system resolver. */
  dnsServers: string[];
}

/**
 * Fetch functions for one kind of user-supplied URL. `buffered` bounds every body in total; `stream` bounds an
 * event stream per line instead (the caller reads it incrementally) and any other body in total.
 */
export interface PolicyFetch {
  buffered: typeof fetch;
  stream: typeof fetch;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The one outbound-request policy for URLs a user can influence (a custom provider's base_url today). A URL
 * passes when its host — a literal, or every address its name resolves to — is outside the loopback,
 * private, link-local, CGNAT, multicast, reserved and platform ranges (IPv4-embedding IPv6 forms included),
 * unless the operator allowlisted it. Requests connect to exactly the addresses that were checked (the check
 * runs in the socket's own lookup, so DNS rebinding cannot swap them), never follow redirects, and have
 * their bodies bounded.
 */
export class OutboundPolicy {
  private readonly rules: AddressRules;
  private readonly resolve: HostResolver;
  private readonly fetchers = new Map<string, PolicyFetch>();
  private readonly agents: Agent[] = [];

  /** `resolver` replaces the configured one (tests). */
  constructor(
    private readonly settings: OutboundSettings,
    resolver?: HostResolver,
  ) {
    this.rules = buildAddressRules(settings.allowHosts, settings.denied);
    this.resolve = resolver ?? (settings.dnsServers.length ? dnsServerResolver(settings.dnsServers) : systemResolver);
  }

  /**
   * Checks `raw` as a request to it would be checked, without connecting (e.g. when a URL is stored).
   * @returns the addresses its host stands for.
   * @throws OutboundError naming `subject` and the rule.
   */
  async check(raw: string, subject: string): Promise<string[]> {
    const url = parseTarget(raw, subject);
    const host = bareHost(url);
    return isIP(host) ? [this.assertAddress(host, subject, false)] : this.resolveChecked(host, subject);
  }

  /** The policy's fetch functions for URLs named `subject` in error messages (e.g. `base_url`). */
  fetchFor(subject: string): PolicyFetch {
    let fetchers = this.fetchers.get(subject);
    if (!fetchers) {
      const agent = new Agent({ connect: { lookup: this.lookupFor(subject) } });
      this.agents.push(agent);
      fetchers = { buffered: this.fetchThrough(agent, subject, false), stream: this.fetchThrough(agent, subject, true) };
      this.fetchers.set(subject, fetchers);
    }
    return fetchers;
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.splice(0).map((agent) => agent.close()));
    this.fetchers.clear();
  }

  /** Nest calls this at shutdown (the policy is provided by OutboundModule). */
  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  private fetchThrough(agent: Agent, subject: string, stream: boolean): typeof fetch {
    const limits: BodyLimits = this.settings;
    const policyFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('the outbound fetch takes a URL, not a Request');
      const url = parseTarget(input.toString(), subject);
      const host = bareHost(url);
      // A literal never reaches a lookup; a name is checked by the agent's lookup as the socket connects.
      if (isIP(host)) this.assertAddress(host, subject, false);
      let response;
      try {
        response = await undiciFetch(url, { ...(init as UndiciRequestInit), redirect: 'manual', dispatcher: agent });
      } catch (err) {
        // undici reports a failed lookup as TypeError('fetch failed') with the lookup's error as its cause.
        throw (err as Error).cause instanceof OutboundError ? (err as Error).cause : err;
      }
      if (response.status >= 300 && response.status < 400 && response.status !== 304) {
        await response.body?.cancel().catch(() => undefined);
        throw new OutboundError(OutboundErrorCode.REDIRECT_REFUSED, `${subject} answered with a redirect (${response.status}), which is not followed`);
      }
      return boundedResponse(response, limits, stream, subject) as unknown as Response;
    };
    return policyFetch as typeof fetch;
  }

  /** net.connect's lookup: resolves and checks, then hands over only the checked addresses. */
  private lookupFor(subject: string) {
    return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
      this.resolveChecked(hostname, subject).then(
        (addresses) => {
          const usable = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => !family || a.family === family);
          if (!usable.length) return callback(unresolved(subject, hostname), '');
          if (options.all) callback(null, usable);
          else callback(null, usable[0].address, usable[0].family);
        },
        (err: NodeJS.ErrnoException) => callback(err, ''),
      );
    };
  }

  /** Every address of `hostname`, each checked (trusted names only against the denied networks). */
  private async resolveChecked(hostname: string, subject: string): Promise<string[]> {
    const name = normalizeHostName(hostname);
    const trusted = this.rules.allowedHosts.has(name);
    // RFC 6761: these names are loopback by definition, whatever a resolver says.
    if (!trusted && (name === 'localhost' || name.endsWith('.localhost'))) {
      throw refused(subject, { range: 'loopback', label: 'a loopback address', address: name });
    }
    let addresses: string[];
    try {
      addresses = await this.resolve(name);
    } catch {
      throw new OutboundError(OutboundErrorCode.HOST_UNRESOLVED, `${subject} host ${name} could not be resolved`);
    }
    if (!addresses.length) throw unresolved(subject, name);
    for (const address of addresses) this.assertAddress(address, subject, trusted);
    return addresses;
  }

  private assertAddress(address: string, subject: string, trusted: boolean): string {
    const refusal = classifyAddress(address, this.rules, trusted);
    if (refusal) throw refused(subject, refusal);
    return address;
  }
}

/** An absolute http(s) URL without credentials (fetch would refuse them, and `user@host` only misleads readers). */
function parseTarget(raw: string, subject: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundError(OutboundErrorCode.INVALID_URL, `${subject} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError(OutboundErrorCode.INVALID_URL, `${subject} must be an http(s) URL`);
  }
  if (url.username || url.password) {
    throw new OutboundError(OutboundErrorCode.INVALID_URL, `${subject} must not contain credentials (user:password@)`);
  }
  return url;
}

/** The host as the socket sees it: WHATWG URL has already turned decimal, hex, octal and short IPv4 into dotted form. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function refused(subject: string, refusal: Refusal): OutboundError {
  return new OutboundError(
    OutboundErrorCode.ADDRESS_NOT_ALLOWED,
    `${subject} resolves to ${refusal.label} (${refusal.address}), which is not allowed`,
  );
}

function unresolved(subject: string, name: string): OutboundError {
  return new OutboundError(OutboundErrorCode.HOST_UNRESOLVED, `${subject} host ${name} does not resolve to an address`);
}
