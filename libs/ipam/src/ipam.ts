/**
 * Pure subnet arithmetic of the platform (no engine, no I/O), so the API can show a project's addresses
 * without reaching the runtime lib.
 */
import { IpamError, IpamErrorCode } from './ipam.errors';

/** Smallest and largest project subnet index; the index is allocated by a unique column in Postgres. */
export const MIN_SUBNET_INDEX = 1;
export const MAX_SUBNET_INDEX = 254;

/** Addresses of one project's network `172.30.<index>.0/24`. */
export interface ProjectSubnet {
  index: number;
  /** `172.30.<index>.0/24` */
  cidr: string;
  /** `.254`, so that `.1` stays free for the tools API. */
  gateway: string;
  /** Tools API container, `.1`. */
  tools: string;
  /** VM container, `.2`. */
  vm: string;
  /** Platform backend's leg on the project network, `.3`. */
  backend: string;
  /** Shared-folder server, `.20`. */
  share: string;
}

const PROJECT_PREFIX = '172.30';

/** Every project subnet lies in this range (refused as a destination of user-supplied URLs). */
export const PROJECT_SUPERNET = `${PROJECT_PREFIX}.0.0/16`;

/**
 * The network plan of project subnet `index`.
 * @throws IpamError SUBNET_INDEX_OUT_OF_RANGE unless index is an integer in 1..254.
 */
export function subnetForIndex(index: number): ProjectSubnet {
  if (!Number.isInteger(index) || index < MIN_SUBNET_INDEX || index > MAX_SUBNET_INDEX) {
    throw new IpamError(
      IpamErrorCode.SUBNET_INDEX_OUT_OF_RANGE,
      `subnet index must be an integer in ${MIN_SUBNET_INDEX}..${MAX_SUBNET_INDEX}, got ${String(index)}`,
    );
  }
  const base = `${PROJECT_PREFIX}.${index}`;
  return {
    index,
    cidr: `${base}.0/24`,
    gateway: `${base}.254`,
    tools: `${base}.1`,
    vm: `${base}.2`,
    backend: `${base}.3`,
    share: `${base}.20`,
  };
}

/** The 32-bit value of a dotted IPv4 address, or null if it is not one. */
export function ipv4ToNumber(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

/** First and last address of an IPv4 CIDR as numbers, or null if it is not one. */
export function cidrRange(cidr: string): { first: number; last: number } | null {
  const [address, prefixText] = cidr.split('/');
  const base = ipv4ToNumber(address ?? '');
  const prefix = Number(prefixText);
  if (base === null || !/^\d{1,2}$/.test(prefixText ?? '') || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  const first = base - (base % size);
  return { first, last: first + size - 1 };
}

/** True when `address` lies inside `cidr`. */
export function cidrContains(cidr: string, address: string): boolean {
  const range = cidrRange(cidr);
  const value = ipv4ToNumber(address);
  return range !== null && value !== null && value >= range.first && value <= range.last;
}

/** True when two CIDRs share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const left = cidrRange(a);
  const right = cidrRange(b);
  return left !== null && right !== null && left.first <= right.last && right.first <= left.last;
}
