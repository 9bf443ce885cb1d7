import { RuntimeError, RuntimeErrorCode } from './runtime.errors';

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

/** Addresses on the platform network that the frontend, backend, Keycloak, Postgres and tools API share. */
export interface PlatformNetwork {
  name: string;
  cidr: string;
  gateway: string;
  backend: string;
  keycloak: string;
  postgres: string;
  frontend: string;
  tools: string;
}

export const DEFAULT_PLATFORM_NETWORK_NAME = 'pantheon-platform';

const PROJECT_PREFIX = '172.30';
const PLATFORM_PREFIX = '10.0.1';

/**
 * The network plan of project subnet `index`.
 * @throws RuntimeError SUBNET_INDEX_OUT_OF_RANGE unless index is an integer in 1..254.
 */
export function subnetForIndex(index: number): ProjectSubnet {
  if (!Number.isInteger(index) || index < MIN_SUBNET_INDEX || index > MAX_SUBNET_INDEX) {
    throw new RuntimeError(
      RuntimeErrorCode.SUBNET_INDEX_OUT_OF_RANGE,
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

/** The project subnet index of a `172.30.<n>.0/24` CIDR, or null for any other network (used by reconciliation). */
export function subnetIndexOf(cidr: string): number | null {
  const match = /^172\.30\.(\d{1,3})\.0\/24$/.exec(cidr);
  if (match === null) return null;
  const index = Number(match[1]);
  // Canonical form only ("172.30.07.0/24" is not the network of project 7).
  const canonical = String(index) === match[1];
  return canonical && index >= MIN_SUBNET_INDEX && index <= MAX_SUBNET_INDEX ? index : null;
}

/** The fixed plan of the platform network `10.0.1.0/24`; only its Docker name is configurable. */
export function platformNetwork(name: string = DEFAULT_PLATFORM_NETWORK_NAME): PlatformNetwork {
  return {
    name,
    cidr: `${PLATFORM_PREFIX}.0/24`,
    // Docker's default gateway; none of the fixed addresses below uses .1.
    gateway: `${PLATFORM_PREFIX}.1`,
    backend: `${PLATFORM_PREFIX}.2`,
    keycloak: `${PLATFORM_PREFIX}.3`,
    postgres: `${PLATFORM_PREFIX}.4`,
    frontend: `${PLATFORM_PREFIX}.5`,
    tools: `${PLATFORM_PREFIX}.6`,
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
