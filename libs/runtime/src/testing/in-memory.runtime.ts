import { randomBytes } from 'node:crypto';
import { containerDrift, networkDrift, portKey, tmpfsKey } from '../config-drift';
import type {
  ContainerDetails,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerSummary,
  EnsureContainerResult,
  EnsureImageOptions,
  EnsureImageResult,
  EnsureNetworkResult,
  LabelledObjects,
  NetworkDetails,
  NetworkSpec,
  NetworkSummary,
} from '../container-runtime';
import { cidrContains, cidrRange, cidrsOverlap, ipv4ToNumber } from '@pantheon/ipam';
import { LABEL_KEYS, MANAGED_LABEL_VALUE, type Labels } from '../labels';
import { RuntimeError, RuntimeErrorCode } from '../runtime.errors';
import { validateContainerSpec, validateNetworkSpec } from '../spec.validator';

export interface InMemoryRuntimeOptions {
  /** Image references present from the start (there is no pulling, as on the real machines). */
  images?: string[];
}

interface StoredNetwork {
  summary: NetworkSummary;
}

interface StoredContainer {
  id: string;
  /** Id of the image when the container was created. */
  imageId: string;
  spec: ContainerSpec;
  labels: Labels;
  state: ContainerState;
  /** Network name → address. */
  networks: Map<string, string>;
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * In-memory `ContainerRuntime` for unit tests of callers (worker processors, reconciler). It keeps the
 * contract of the Docker driver — idempotency, drift reports, address and subnet conflicts, IMAGE_NOT_FOUND,
 * DOCKER_UNAVAILABLE — without an engine. Containers never run anything: a started container is "running".
 * Everything here was created through it, so it never meets an unmanaged object.
 */
export class InMemoryRuntime implements ContainerRuntime {
  /** Image reference → id. */
  private readonly images = new Map<string, string>();
  private readonly networks = new Map<string, StoredNetwork>();
  private readonly containers = new Map<string, StoredContainer>();
  private available = true;

  constructor(options: InMemoryRuntimeOptions = {}) {
    for (const reference of options.images ?? []) this.addImage(reference);
  }

  /** Makes an image reference present; adding it again simulates a rebuild (new id, drift on old containers). */
  addImage(reference: string): void {
    this.images.set(reference, `sha256:${newId()}`);
  }

  /** Simulates the engine going away (every call fails with DOCKER_UNAVAILABLE) or coming back. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  /** Simulates a container exiting on its own, e.g. a crashed VM. */
  stopContainer(name: string): void {
    const container = this.containers.get(name);
    if (container === undefined) throw new RuntimeError(RuntimeErrorCode.NOT_FOUND, `container ${name} does not exist`);
    container.state = 'exited';
  }

  async ping(): Promise<void> {
    this.assertAvailable();
  }

  /** References that "pull" successfully (in two progress steps); any other absent image fails to pull. */
  private readonly pullable = new Set<string>();

  /** Makes an absent image pullable, as if a registry held it. */
  addPullableImage(reference: string): void {
    this.pullable.add(reference);
  }

  async ensureImage(reference: string, options: EnsureImageOptions = {}): Promise<EnsureImageResult> {
    this.assertAvailable();
    if (this.images.has(reference)) return { pulled: false };
    if (!this.pullable.has(reference)) {
      throw new RuntimeError(RuntimeErrorCode.IMAGE_PULL_FAILED, `pull ${reference}: manifest unknown`);
    }
    options.onProgress?.(0);
    options.onProgress?.(50);
    options.onProgress?.(99);
    this.addImage(reference);
    return { pulled: true };
  }

  async ensureNetwork(spec: NetworkSpec): Promise<EnsureNetworkResult> {
    this.assertAvailable();
    validateNetworkSpec(spec);
    const existing = this.networks.get(spec.name);
    if (existing !== undefined) {
      return { network: this.networkDetails(existing), created: false, drift: networkDrift(spec, existing.summary) };
    }
    for (const other of this.networks.values()) {
      if (other.summary.subnet !== null && cidrsOverlap(other.summary.subnet, spec.subnet)) {
        throw new RuntimeError(
          RuntimeErrorCode.SUBNET_IN_USE,
          `create network ${spec.name}: ${spec.subnet} overlaps ${other.summary.name}`,
        );
      }
    }
    const stored: StoredNetwork = {
      summary: {
        id: newId(),
        name: spec.name,
        subnet: spec.subnet,
        gateway: spec.gateway,
        internal: spec.internal ?? false,
        isolated: spec.isolated ?? false,
        labels: { ...spec.labels, [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE },
      },
    };
    this.networks.set(spec.name, stored);
    return { network: this.networkDetails(stored), created: true, drift: [] };
  }

  async removeNetwork(name: string): Promise<boolean> {
    this.assertAvailable();
    const network = this.networks.get(name);
    if (network === undefined) return false;
    const attached = [...this.containers.values()].filter((container) => container.networks.has(name));
    if (attached.length > 0) {
      throw new RuntimeError(RuntimeErrorCode.CONFLICT, `remove network ${name}: network has active endpoints`);
    }
    this.networks.delete(name);
    return true;
  }

  async ensureContainer(spec: ContainerSpec): Promise<EnsureContainerResult> {
    this.assertAvailable();
    validateContainerSpec(spec);
    let container = this.containers.get(spec.name);
    let created = false;
    if (container === undefined) {
      const imageId = this.images.get(spec.image);
      if (imageId === undefined) {
        throw new RuntimeError(RuntimeErrorCode.IMAGE_NOT_FOUND, `image ${spec.image} is not present`);
      }
      for (const attachment of [spec.network, ...(spec.extraNetworks ?? [])]) {
        if (!this.networks.has(attachment.name)) {
          throw new RuntimeError(
            RuntimeErrorCode.NOT_FOUND,
            `network ${attachment.name} for container ${spec.name} does not exist`,
          );
        }
      }
      container = {
        id: newId(),
        imageId,
        spec: structuredClone(spec),
        labels: { ...spec.labels, [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE },
        state: 'created',
        networks: new Map([[spec.network.name, this.allocate(spec.network.name, spec.name, spec.network.ip)]]),
      };
      this.containers.set(spec.name, container);
      created = true;
    }
    try {
      for (const extra of spec.extraNetworks ?? []) {
        if (!container.networks.has(extra.name)) await this.connectNetwork(spec.name, extra.name, extra.ip);
      }
    } catch (error) {
      // Same as the Docker driver: a half-wired container this call created would block every retry.
      if (created) this.containers.delete(spec.name);
      throw error;
    }
    const started = container.state !== 'running';
    container.state = 'running';
    const drift = containerDrift(spec, {
      image: container.spec.image,
      env: container.spec.env,
      labels: container.labels,
      networks: Object.fromEntries(container.networks),
      mounts: container.spec.mounts ?? [],
      memoryBytes: container.spec.memoryBytes ?? 0,
      nanoCpus: container.spec.nanoCpus ?? 0,
      restartPolicy: container.spec.restartPolicy ?? 'no',
      capAdd: container.spec.capAdd ?? [],
      capDrop: container.spec.capDrop ?? [],
      pidsLimit: container.spec.pidsLimit ?? 0,
      noNewPrivileges: container.spec.noNewPrivileges ?? false,
      readOnlyRootfs: container.spec.readOnlyRootfs ?? false,
      tmpfs: Object.entries(container.spec.tmpfs ?? {}).map(([path, options]) => tmpfsKey(path, options)),
      devices: container.spec.devices ?? [],
      ports: (container.spec.ports ?? []).map(portKey),
    });
    const currentImageId = this.images.get(spec.image);
    const rebuilt = currentImageId !== undefined && currentImageId !== container.imageId;
    if (rebuilt && !drift.some((entry) => entry.field === 'image')) {
      drift.push({ field: 'image', detail: `${spec.image} was rebuilt since the container was created` });
    }
    return { container: this.containerDetails(container), created, started, drift };
  }

  async connectNetwork(container: string, network: string, ip?: string): Promise<boolean> {
    this.assertAvailable();
    const stored = this.containers.get(container);
    if (stored === undefined) {
      throw new RuntimeError(RuntimeErrorCode.NOT_FOUND, `container ${container} does not exist`);
    }
    const current = stored.networks.get(network);
    if (current !== undefined) {
      if (ip !== undefined && current !== ip) {
        throw new RuntimeError(
          RuntimeErrorCode.CONFLICT,
          `container ${container} is attached to ${network} with ${current}, not ${ip}`,
        );
      }
      return false;
    }
    if (!this.networks.has(network)) {
      throw new RuntimeError(RuntimeErrorCode.NOT_FOUND, `network ${network} does not exist`);
    }
    stored.networks.set(network, this.allocate(network, container, ip));
    return true;
  }

  async disconnectNetwork(container: string, network: string): Promise<boolean> {
    this.assertAvailable();
    return this.containers.get(container)?.networks.delete(network) ?? false;
  }

  async removeContainer(name: string): Promise<boolean> {
    this.assertAvailable();
    const container = this.containers.get(name);
    if (container === undefined) return false;
    this.containers.delete(name);
    return true;
  }

  async listByLabel(labels: Labels): Promise<LabelledObjects> {
    this.assertAvailable();
    const selector = Object.entries({ ...labels, [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE });
    const matches = (candidate: Labels) => selector.every(([key, value]) => candidate[key] === value);
    return {
      containers: [...this.containers.values()]
        .filter((container) => matches(container.labels))
        .map((container) => this.containerSummary(container)),
      networks: [...this.networks.values()]
        .filter((network) => matches(network.summary.labels))
        .map((network) => structuredClone(network.summary)),
    };
  }

  async inspectContainer(name: string): Promise<ContainerDetails | null> {
    this.assertAvailable();
    const container = this.containers.get(name);
    return container === undefined ? null : this.containerDetails(container);
  }

  async inspectNetwork(name: string): Promise<NetworkDetails | null> {
    this.assertAvailable();
    const network = this.networks.get(name);
    return network === undefined ? null : this.networkDetails(network);
  }

  /** Checks (or picks, when `ip` is omitted) a free address on the network, the way the engine's IPAM does. */
  private allocate(network: string, container: string, ip?: string): string {
    const { subnet, gateway } = this.networks.get(network)?.summary ?? {};
    const range = subnet ? cidrRange(subnet) : null;
    if (subnet == null || range === null) {
      throw new RuntimeError(RuntimeErrorCode.NOT_FOUND, `network ${network} does not exist`);
    }
    const taken = new Set([gateway, ...[...this.containers.values()].map((other) => other.networks.get(network))]);
    if (ip !== undefined) {
      const value = ipv4ToNumber(ip);
      if (!cidrContains(subnet, ip) || value === range.first || value === range.last) {
        throw new RuntimeError(
          RuntimeErrorCode.INVALID_SPEC,
          `container ${container}: ${ip} is not a host address of ${subnet}`,
        );
      }
      if (taken.has(ip)) {
        throw new RuntimeError(RuntimeErrorCode.ADDRESS_IN_USE, `${ip} is already in use on ${network}`);
      }
      return ip;
    }
    for (let value = range.first + 1; value < range.last; value += 1) {
      const candidate = numberToIpv4(value);
      if (!taken.has(candidate)) return candidate;
    }
    throw new RuntimeError(RuntimeErrorCode.ADDRESS_IN_USE, `no free address left on ${network}`);
  }

  private networkDetails(network: StoredNetwork): NetworkDetails {
    const containers: Record<string, string | null> = {};
    for (const [name, container] of this.containers) {
      const address = container.networks.get(network.summary.name);
      if (address !== undefined && container.state === 'running') containers[name] = address;
    }
    return { ...structuredClone(network.summary), containers };
  }

  private containerSummary(container: StoredContainer): ContainerSummary {
    return {
      id: container.id,
      name: container.spec.name,
      image: container.spec.image,
      state: container.state,
      labels: { ...container.labels },
      networks: Object.fromEntries(container.networks),
    };
  }

  private containerDetails(container: StoredContainer): ContainerDetails {
    return {
      ...this.containerSummary(container),
      imageId: container.imageId,
      env: { ...container.spec.env },
      mounts: structuredClone(container.spec.mounts ?? []),
    };
  }

  private assertAvailable(): void {
    if (!this.available) throw new RuntimeError(RuntimeErrorCode.DOCKER_UNAVAILABLE, 'in-memory engine is unavailable');
  }
}
