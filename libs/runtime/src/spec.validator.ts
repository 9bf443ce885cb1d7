import type { ContainerSpec, NetworkSpec } from './container-runtime';
import { cidrContains, cidrRange, ipv4ToNumber } from '@pantheon/ipam';
import { RuntimeError, RuntimeErrorCode } from './runtime.errors';

// Docker's own rule for container and network names.
const OBJECT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CAPABILITY = /^(ALL|(CAP_)?[A-Z_]+)$/i;
// tmpfs options go to the engine verbatim: plain mount flags only (e.g. rw,noexec,nosuid,size=64m,mode=1777).
const TMPFS_OPTIONS = /^[a-z0-9=_-]+(,[a-z0-9=_-]+)*$/i;

function invalid(message: string): never {
  throw new RuntimeError(RuntimeErrorCode.INVALID_SPEC, message);
}

function checkName(kind: string, name: string): void {
  if (!OBJECT_NAME.test(name)) invalid(`${kind} name "${name}" is not a valid Docker object name`);
}

function checkAddress(context: string, ip: string): void {
  if (ipv4ToNumber(ip) === null) invalid(`${context}: "${ip}" is not an IPv4 address`);
}

function checkPositiveInteger(field: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
    invalid(`${field} must be a positive integer`);
  }
}

/** Rejects a network spec the engine would reject or misread. @throws RuntimeError INVALID_SPEC */
export function validateNetworkSpec(spec: NetworkSpec): void {
  checkName('network', spec.name);
  const range = cidrRange(spec.subnet);
  if (range === null || ipv4ToNumber(spec.subnet.split('/')[0] ?? '') !== range.first) {
    invalid(`network ${spec.name}: subnet "${spec.subnet}" is not a network address in CIDR form`);
  }
  checkAddress(`network ${spec.name} gateway`, spec.gateway);
  if (!cidrContains(spec.subnet, spec.gateway)) invalid(`network ${spec.name}: gateway is outside ${spec.subnet}`);
}

/** Rejects a container spec the engine would reject or misread. @throws RuntimeError INVALID_SPEC */
export function validateContainerSpec(spec: ContainerSpec): void {
  checkName('container', spec.name);
  if (spec.image.trim() === '') invalid(`container ${spec.name}: image is empty`);
  for (const key of Object.keys(spec.env)) {
    // Names only in messages: values may be sensitive.
    if (!ENV_NAME.test(key)) invalid(`container ${spec.name}: env name "${key}" is not valid`);
  }
  checkName('network', spec.network.name);
  checkAddress(`container ${spec.name} on ${spec.network.name}`, spec.network.ip);
  const networks = new Set([spec.network.name]);
  for (const extra of spec.extraNetworks ?? []) {
    checkName('network', extra.name);
    if (extra.ip !== undefined) checkAddress(`container ${spec.name} on ${extra.name}`, extra.ip);
    if (networks.has(extra.name)) invalid(`container ${spec.name}: network ${extra.name} is listed twice`);
    networks.add(extra.name);
  }
  for (const port of spec.ports ?? []) {
    for (const value of [port.containerPort, port.hostPort]) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 65535)) {
        invalid(`container ${spec.name}: port ${String(value)} is out of range`);
      }
    }
    if (port.hostIp !== undefined) checkAddress(`container ${spec.name} port ${port.containerPort}`, port.hostIp);
  }
  for (const mount of spec.mounts ?? []) {
    if (!mount.source.startsWith('/') || !mount.target.startsWith('/')) {
      invalid(`container ${spec.name}: mount paths must be absolute`);
    }
  }
  for (const device of spec.devices ?? []) {
    if (!device.startsWith('/dev/')) invalid(`container ${spec.name}: device "${device}" is not under /dev`);
  }
  for (const capability of [...(spec.capAdd ?? []), ...(spec.capDrop ?? [])]) {
    if (!CAPABILITY.test(capability)) invalid(`container ${spec.name}: "${capability}" is not a capability name`);
  }
  for (const [path, options] of Object.entries(spec.tmpfs ?? {})) {
    if (!path.startsWith('/')) invalid(`container ${spec.name}: tmpfs path must be absolute`);
    if (options !== '' && !TMPFS_OPTIONS.test(options)) invalid(`container ${spec.name}: tmpfs options for ${path} are not valid`);
  }
  checkPositiveInteger(`container ${spec.name}: memoryBytes`, spec.memoryBytes);
  checkPositiveInteger(`container ${spec.name}: nanoCpus`, spec.nanoCpus);
  checkPositiveInteger(`container ${spec.name}: pidsLimit`, spec.pidsLimit);
  // The engine refuses limits under 6 MiB.
  if (spec.memoryBytes !== undefined && spec.memoryBytes < 6 * 1024 * 1024) invalid(`container ${spec.name}: memoryBytes must be at least 6 MiB`);
}
