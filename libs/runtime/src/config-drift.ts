import type {
  ConfigDrift,
  ContainerSpec,
  MountSpec,
  NetworkSpec,
  NetworkSummary,
  PortSpec,
  RestartPolicy,
} from './container-runtime';
import type { Labels } from './labels';

/** What a driver observed of an existing container, normalised so both drivers compare the same way. */
export interface ObservedContainer {
  image: string;
  env: Record<string, string>;
  labels: Labels;
  networks: Record<string, string | null>;
  mounts: MountSpec[];
  memoryBytes: number;
  nanoCpus: number;
  restartPolicy: RestartPolicy;
  capAdd: string[];
  capDrop: string[];
  pidsLimit: number;
  noNewPrivileges: boolean;
  readOnlyRootfs: boolean;
  /** See `tmpfsKey()`. */
  tmpfs: string[];
  devices: string[];
  /** See `portKey()`. */
  ports: string[];
}

/** Loopback unless told otherwise: a published port must not reach public interfaces by accident. */
export const DEFAULT_HOST_IP = '127.0.0.1';

/** Canonical `<port>/<proto>=<hostIp>:<hostPort>` form of a published port. */
export function portKey(port: PortSpec): string {
  return `${port.containerPort}/${port.protocol ?? 'tcp'}=${port.hostIp ?? DEFAULT_HOST_IP}:${port.hostPort ?? ''}`;
}

/** Canonical capability name: the engine may report `CAP_NET_ADMIN` for `NET_ADMIN`. */
export function capabilityKey(capability: string): string {
  return capability.toUpperCase().replace(/^CAP_/, '');
}

/** Canonical `<path>:<options>` form of a tmpfs mount. */
export function tmpfsKey(path: string, options: string): string {
  return `${path}:${options}`;
}

function mountKey(mount: MountSpec): string {
  return `${mount.source}:${mount.target}:${mount.readOnly ? 'ro' : 'rw'}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((value, i) => value === right[i]);
}

function labelDrift(expected: Labels, actual: Labels): ConfigDrift[] {
  return Object.entries(expected)
    .filter(([key, value]) => actual[key] !== value)
    .map(([key]) => ({ field: 'labels' as const, detail: key }));
}

/** Differences between a network and its spec (the spec's labels must all be present). */
export function networkDrift(spec: NetworkSpec, actual: NetworkSummary): ConfigDrift[] {
  const drift: ConfigDrift[] = [];
  if (actual.subnet !== spec.subnet) {
    drift.push({ field: 'subnet', detail: `${actual.subnet ?? 'none'} ≠ ${spec.subnet}` });
  }
  if (actual.gateway !== spec.gateway) {
    drift.push({ field: 'gateway', detail: `${actual.gateway ?? 'none'} ≠ ${spec.gateway}` });
  }
  if (actual.internal !== (spec.internal ?? false)) drift.push({ field: 'internal', detail: String(actual.internal) });
  if (actual.isolated !== (spec.isolated ?? false)) drift.push({ field: 'isolated', detail: String(actual.isolated) });
  return [...drift, ...labelDrift(spec.labels, actual.labels)];
}

/**
 * Differences between a container and its spec. The spec's env and labels must be present with the same
 * values (the image may add more); network addresses, mounts and resources must match.
 */
export function containerDrift(spec: ContainerSpec, actual: ObservedContainer): ConfigDrift[] {
  const drift: ConfigDrift[] = [];
  if (actual.image !== spec.image) drift.push({ field: 'image', detail: `${actual.image} ≠ ${spec.image}` });
  for (const [key, value] of Object.entries(spec.env)) {
    if (actual.env[key] !== value) drift.push({ field: 'env', detail: key });
  }
  drift.push(...labelDrift(spec.labels, actual.labels));

  for (const attachment of [spec.network, ...(spec.extraNetworks ?? [])]) {
    if (!(attachment.name in actual.networks)) {
      drift.push({ field: 'network', detail: `not attached to ${attachment.name}` });
    } else if (attachment.ip !== undefined && actual.networks[attachment.name] !== attachment.ip) {
      drift.push({
        field: 'network',
        detail: `${attachment.name}: ${actual.networks[attachment.name] ?? 'no address'} ≠ ${attachment.ip}`,
      });
    }
  }

  if (!sameSet((spec.mounts ?? []).map(mountKey), actual.mounts.map(mountKey))) {
    drift.push({ field: 'mounts', detail: 'bind mounts differ' });
  }

  const resources: [string, boolean][] = [
    ['memory', (spec.memoryBytes ?? 0) === actual.memoryBytes],
    ['cpus', (spec.nanoCpus ?? 0) === actual.nanoCpus],
    ['restart policy', (spec.restartPolicy ?? 'no') === actual.restartPolicy],
    ['capabilities', sameSet((spec.capAdd ?? []).map(capabilityKey), actual.capAdd.map(capabilityKey))],
    ['dropped capabilities', sameSet((spec.capDrop ?? []).map(capabilityKey), actual.capDrop.map(capabilityKey))],
    ['pids', (spec.pidsLimit ?? 0) === actual.pidsLimit],
    ['no-new-privileges', (spec.noNewPrivileges ?? false) === actual.noNewPrivileges],
    ['read-only root', (spec.readOnlyRootfs ?? false) === actual.readOnlyRootfs],
    ['tmpfs', sameSet(Object.entries(spec.tmpfs ?? {}).map(([path, options]) => tmpfsKey(path, options)), actual.tmpfs)],
    ['devices', sameSet(spec.devices ?? [], actual.devices)],
    ['ports', sameSet((spec.ports ?? []).map(portKey), actual.ports)],
  ];
  for (const [detail, matches] of resources) {
    if (!matches) drift.push({ field: 'resources', detail });
  }
  return drift;
}
