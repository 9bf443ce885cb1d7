import type { Labels } from './labels';

/** A bridge network with a fixed subnet. */
export interface NetworkSpec {
  /** Deterministic name, see `networkName()`. */
  name: string;
  /** IPv4 CIDR, e.g. `172.30.7.0/24`. */
  subnet: string;
  /** Gateway address inside the subnet; project networks use `.254` so `.1` is free for a container. */
  gateway: string;
  labels: Labels;
  /** No route out of the subnet (Docker `--internal`). Defaults to false. */
  internal?: boolean;
  /**
   * Containers on it cannot reach each other, only the host side (bridge option
   * `com.docker.network.bridge.enable_icc=false`). Defaults to false.
   */
  isolated?: boolean;
}

/** A container port published on the host. */
export interface PortSpec {
  containerPort: number;
  protocol?: 'tcp' | 'udp';
  /** Omitted: the engine picks a free port. */
  hostPort?: number;
  /** Defaults to 127.0.0.1: nothing is published on public interfaces unless asked for. */
  hostIp?: string;
}

/** A bind mount; the source must exist on the host. */
export interface MountSpec {
  source: string;
  target: string;
  readOnly: boolean;
}

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

/** A long-running container attached to one primary network with a static address. */
export interface ContainerSpec {
  /** Deterministic name, see `containerName()`. */
  name: string;
  /** A local image reference; there is no registry, so it must already be present. */
  image: string;
  /** Plain configuration only: provider keys and other secrets never go into a container's env. */
  env: Record<string, string>;
  labels: Labels;
  network: { name: string; ip: string };
  /** Further networks (multi-homed tools API); `ip` omitted means the engine assigns one. */
  extraNetworks?: { name: string; ip?: string }[];
  ports?: PortSpec[];
  mounts?: MountSpec[];
  /** Host device paths exposed at the same path, e.g. `/dev/kvm`. */
  devices?: string[];
  /** Linux capabilities, e.g. `NET_ADMIN`. */
  capAdd?: string[];
  /** Capabilities removed from the engine's default set; `['ALL']` plus `capAdd` leaves only what is added. */
  capDrop?: string[];
  /** Hard memory limit; swap is capped at the same value (no swap beyond it). Omitted: unlimited. */
  memoryBytes?: number;
  /** CPU quota in units of 1e-9 CPUs, capped at the engine's CPU count. Omitted: unlimited. */
  nanoCpus?: number;
  /** Most processes and threads the container may hold. Omitted: unlimited. */
  pidsLimit?: number;
  /** `no-new-privileges`: setuid binaries and file capabilities cannot raise a process's privileges. */
  noNewPrivileges?: boolean;
  /** Mounts the image's root filesystem read-only (writable scratch goes in `tmpfs`). */
  readOnlyRootfs?: boolean;
  /** tmpfs mounts: absolute path → mount options, e.g. `{ '/tmp': 'rw,noexec,nosuid,size=64m' }`. */
  tmpfs?: Record<string, string>;
  /** Defaults to `no`: the reconciler, not the engine, decides when a project runs. */
  restartPolicy?: RestartPolicy;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** A network as the engine reports it. */
export interface NetworkSummary {
  id: string;
  name: string;
  subnet: string | null;
  gateway: string | null;
  internal: boolean;
  /** Inter-container traffic is dropped (ICC off). */
  isolated: boolean;
  labels: Labels;
}

/** A network with the containers attached to it. */
export interface NetworkDetails extends NetworkSummary {
  /** Container name → IPv4 address on this network (running containers only). */
  containers: Record<string, string | null>;
}

/** A container as the engine's list reports it. */
export interface ContainerSummary {
  id: string;
  name: string;
  /** The image reference the container was created from. */
  image: string;
  state: ContainerState;
  labels: Labels;
  /** Network name → IPv4 address (the requested static one before the first start). */
  networks: Record<string, string | null>;
}

/** A container with its configuration. */
export interface ContainerDetails extends ContainerSummary {
  /** Id of the image the container runs; differs from the reference's current id after a rebuild. */
  imageId: string;
  /** Effective env, including variables the image defines. */
  env: Record<string, string>;
  mounts: MountSpec[];
}

/** Every managed container and network that carries the requested labels. */
export interface LabelledObjects {
  containers: ContainerSummary[];
  networks: NetworkSummary[];
}

/** One way an existing object differs from its spec. */
export interface ConfigDrift {
  field: 'image' | 'env' | 'labels' | 'network' | 'mounts' | 'resources' | 'subnet' | 'gateway' | 'internal' | 'isolated';
  /** Names what differs (an env var's name, never its value). */
  detail: string;
}

export interface EnsureNetworkResult {
  network: NetworkDetails;
  /** False when the network already existed. */
  created: boolean;
  /** How an existing network differs from the spec; it is never changed in place. */
  drift: ConfigDrift[];
}

export interface EnsureContainerResult {
  container: ContainerDetails;
  /** False when the container already existed. */
  created: boolean;
  /** True when this call started it (new, or found stopped). */
  started: boolean;
  /** How an existing container differs from the spec; it is never recreated implicitly. */
  drift: ConfigDrift[];
}

/** Credentials for a private registry (Docker's `X-Registry-Auth`); never logged. */
export interface RegistryAuth {
  username: string;
  password: string;
  /** e.g. `ghcr.io`; defaults to the image reference's registry. */
  serverAddress?: string;
}

export interface EnsureImageOptions {
  auth?: RegistryAuth;
  /** Called with 0 when a pull starts, then 1–99 while layers download (never for an image already present). */
  onProgress?: (percent: number) => void;
  /** Upper bound of the whole pull. */
  timeoutMs?: number;
}

export interface EnsureImageResult {
  /** False when the image was already present. */
  pulled: boolean;
}

/**
 * Driver interface for the engine that runs project networks and containers.
 *
 * Every operation is idempotent so a retried job converges: `ensure*` create what is absent and report
 * (never silently fix) what differs, `remove*` succeed when the object is already gone. Objects without
 * the `pantheon.managed=true` label are never modified or removed (RuntimeError NOT_MANAGED), and listing
 * only ever returns managed objects. All failures are `RuntimeError`s.
 */
export interface ContainerRuntime {
  /** Resolves when the engine answers; RuntimeError DOCKER_UNAVAILABLE otherwise. */
  ping(): Promise<void>;

  /**
   * Pulls the image if it is not present locally. IMAGE_PULL_FAILED (with the registry's reason) when it
   * cannot be pulled: unknown image, denied, registry unreachable, or the timeout.
   */
  ensureImage(reference: string, options?: EnsureImageOptions): Promise<EnsureImageResult>;

  /** Creates the network if absent. An existing one is returned with its drift from `spec`. */
  ensureNetwork(spec: NetworkSpec): Promise<EnsureNetworkResult>;

  /** Removes the network if present; false when it did not exist. CONFLICT while containers are attached. */
  removeNetwork(name: string): Promise<boolean>;

  /**
   * Creates the container if absent (attached to its primary network with the static address, then to
   * its extra networks) and starts it if it is not running. A missing extra-network attachment is
   * repaired, so a job killed between create and connect converges on retry.
   */
  ensureContainer(spec: ContainerSpec): Promise<EnsureContainerResult>;

  /**
   * Attaches a container to a network, with a static address when `ip` is given. False when it was
   * already attached with that address; CONFLICT when attached with another one.
   */
  connectNetwork(container: string, network: string, ip?: string): Promise<boolean>;

  /** Detaches a container from a network; false when it was not attached or either does not exist. */
  disconnectNetwork(container: string, network: string): Promise<boolean>;
  /** Force-removes the container (and its anonymous volumes) if present; false when it did not exist. */
  removeContainer(name: string): Promise<boolean>;

  /** Managed containers (running or not) and networks carrying every one of `labels`. */
  listByLabel(labels: Labels): Promise<LabelledObjects>;

  /** The container, or null when there is none with that name. */
  inspectContainer(name: string): Promise<ContainerDetails | null>;

  /** The network, or null when there is none with that name. */
  inspectNetwork(name: string): Promise<NetworkDetails | null>;
}
