import Docker from 'dockerode';
import { containerDrift, DEFAULT_HOST_IP, networkDrift, portKey, tmpfsKey, type ObservedContainer } from './config-drift';
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
  MountSpec,
  NetworkDetails,
  NetworkSpec,
  NetworkSummary,
  RestartPolicy,
} from './container-runtime';
import { PullProgress, pullStreamError, type PullStreamEvent } from './pull-progress';
import { isManaged, LABEL_KEYS, MANAGED_LABEL_VALUE, type Labels } from './labels';
import { RuntimeError, RuntimeErrorCode } from './runtime.errors';
import { validateContainerSpec, validateNetworkSpec } from './spec.validator';

export interface DockerRuntimeOptions {
  /** Unix socket of the engine. Defaults to /var/run/docker.sock. */
  socketPath?: string;
  /** Per-request timeout in milliseconds. Defaults to 30 s (no request here streams or pulls). */
  timeoutMs?: number;
}

/** The shape docker-modem gives engine and transport errors. */
interface EngineError {
  statusCode?: number;
  code?: string;
  json?: unknown;
}

const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';
const DEFAULT_TIMEOUT_MS = 30_000;
/** A Windows image is several GB: a pull gets this long unless the caller says otherwise. */
const DEFAULT_PULL_TIMEOUT_MS = 60 * 60_000;

/** The spellings the engine accepts (and reports back) for no-new-privileges. */
const NO_NEW_PRIVILEGES = new Set(['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true']);

const RESTART_POLICIES: readonly RestartPolicy[] = ['no', 'always', 'unless-stopped', 'on-failure'];
const CONTAINER_STATES: readonly ContainerState[] = [
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
];

function engineReason(error: EngineError): string {
  const json = error.json as { message?: unknown } | undefined;
  return typeof json?.message === 'string' ? json.message.trim() : 'no reason given';
}

/**
 * A refused pull request carries its reason in the message rather than a JSON body:
 * `(HTTP code 500) server error - Get "…": dial tcp …: connection refused`.
 */
function pullRequestReason(error: unknown): string {
  const fromJson = engineReason((error ?? {}) as EngineError);
  if (fromJson !== 'no reason given') return fromJson;
  const message = error instanceof Error ? error.message : '';
  const dash = message.indexOf(' - ');
  return dash >= 0 ? message.slice(dash + 3).trim() : fromJson;
}

function statusOf(error: unknown): number | undefined {
  return (error as EngineError | undefined)?.statusCode;
}

function parseEnv(entries: readonly string[] | null | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const separator = entry.indexOf('=');
    if (separator > 0) env[entry.slice(0, separator)] = entry.slice(separator + 1);
  }
  return env;
}

function toState(status: string): ContainerState {
  return (CONTAINER_STATES as readonly string[]).includes(status) ? (status as ContainerState) : 'dead';
}

function withManagedLabel(labels: Labels): Labels {
  return { ...labels, [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE };
}

function labelFilters(labels: Labels): string {
  const selectors = Object.entries(withManagedLabel(labels)).map(([key, value]) => `${key}=${value}`);
  return JSON.stringify({ label: selectors });
}

/** Bridge driver option that, set to "false", drops traffic between containers of the network. */
const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

function networkSummary(info: Docker.NetworkInspectInfo): NetworkSummary {
  const ipam = info.IPAM?.Config?.[0];
  return {
    id: info.Id,
    name: info.Name,
    subnet: ipam?.Subnet ?? null,
    gateway: ipam?.Gateway ?? null,
    internal: info.Internal,
    isolated: info.Options?.[ICC_OPTION] === 'false',
    labels: info.Labels ?? {},
  };
}

function networkDetails(info: Docker.NetworkInspectInfo): NetworkDetails {
  const containers: Record<string, string | null> = {};
  for (const endpoint of Object.values(info.Containers ?? {})) {
    containers[endpoint.Name] = endpoint.IPv4Address ? (endpoint.IPv4Address.split('/')[0] ?? null) : null;
  }
  return { ...networkSummary(info), containers };
}

interface EndpointLike {
  IPAddress?: string;
  IPAMConfig?: { IPv4Address?: string } | null;
}

/** The live address, or before the first start the static one requested. */
function endpointAddress(endpoint: EndpointLike): string | null {
  return endpoint.IPAddress || endpoint.IPAMConfig?.IPv4Address || null;
}

function endpointAddresses(networks: Record<string, EndpointLike> | undefined): Record<string, string | null> {
  const addresses: Record<string, string | null> = {};
  for (const [name, endpoint] of Object.entries(networks ?? {})) addresses[name] = endpointAddress(endpoint);
  return addresses;
}

function containerSummary(info: Docker.ContainerInfo): ContainerSummary {
  return {
    id: info.Id,
    name: (info.Names[0] ?? '').replace(/^\//, ''),
    image: info.Image,
    state: toState(info.State),
    labels: info.Labels ?? {},
    networks: endpointAddresses(info.NetworkSettings?.Networks as Record<string, EndpointLike> | undefined),
  };
}

function containerDetails(info: Docker.ContainerInspectInfo): ContainerDetails {
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    imageId: info.Image,
    state: toState(info.State.Status),
    labels: info.Config.Labels ?? {},
    networks: endpointAddresses(info.NetworkSettings.Networks),
    env: parseEnv(info.Config.Env),
    mounts: (info.Mounts ?? [])
      .filter((mount) => mount.Type === 'bind')
      .map((mount): MountSpec => ({ source: mount.Source, target: mount.Destination, readOnly: !mount.RW })),
  };
}

function observedContainer(info: Docker.ContainerInspectInfo): ObservedContainer {
  const details = containerDetails(info);
  const host = info.HostConfig;
  const bindings = (host.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  const restart = host.RestartPolicy?.Name ?? '';
  return {
    image: details.image,
    env: details.env,
    labels: details.labels,
    networks: details.networks,
    mounts: details.mounts,
    memoryBytes: host.Memory ?? 0,
    nanoCpus: host.NanoCpus ?? 0,
    // The engine reports null, 0 or -1 for "unlimited".
    pidsLimit: host.PidsLimit && host.PidsLimit > 0 ? host.PidsLimit : 0,
    noNewPrivileges: ((host.SecurityOpt as string[] | null | undefined) ?? []).some((opt) => NO_NEW_PRIVILEGES.has(opt)),
    readOnlyRootfs: host.ReadonlyRootfs === true,
    tmpfs: Object.entries((host.Tmpfs as Record<string, string> | null | undefined) ?? {}).map(([path, options]) => tmpfsKey(path, options)),
    // The engine reports "" for the default policy.
    restartPolicy: (RESTART_POLICIES as readonly string[]).includes(restart) ? (restart as RestartPolicy) : 'no',
    capAdd: (host.CapAdd as string[] | null | undefined) ?? [],
    capDrop: (host.CapDrop as string[] | null | undefined) ?? [],
    devices: ((host.Devices as { PathOnHost: string }[] | null | undefined) ?? []).map((device) => device.PathOnHost),
    ports: Object.entries(bindings).flatMap(([port, hostBindings]) =>
      (hostBindings ?? []).map((binding) => {
        const [containerPort, protocol] = port.split('/');
        return portKey({
          containerPort: Number(containerPort),
          protocol: protocol === 'udp' ? 'udp' : 'tcp',
          hostIp: binding.HostIp || DEFAULT_HOST_IP,
          hostPort: binding.HostPort ? Number(binding.HostPort) : undefined,
        });
      }),
    ),
  };
}

function createOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const exposedPorts: Record<string, object> = {};
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of spec.ports ?? []) {
    const key = `${port.containerPort}/${port.protocol ?? 'tcp'}`;
    exposedPorts[key] = {};
    (portBindings[key] ??= []).push({
      HostIp: port.hostIp ?? DEFAULT_HOST_IP,
      HostPort: port.hostPort === undefined ? '' : String(port.hostPort),
    });
  }
  return {
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: withManagedLabel(spec.labels),
    ExposedPorts: exposedPorts,
    HostConfig: {
      NetworkMode: spec.network.name,
      PortBindings: portBindings,
      Mounts: (spec.mounts ?? []).map((mount) => ({
        Type: 'bind' as const,
        Source: mount.source,
        Target: mount.target,
        ReadOnly: mount.readOnly,
      })),
      Devices: (spec.devices ?? []).map((path) => ({
        PathOnHost: path,
        PathInContainer: path,
        CgroupPermissions: 'rwm',
      })),
      CapAdd: spec.capAdd ?? [],
      CapDrop: spec.capDrop ?? [],
      Memory: spec.memoryBytes ?? 0,
      // Equal to Memory: no swap on top of the limit (the engine's default would allow as much again).
      MemorySwap: spec.memoryBytes ?? 0,
      NanoCpus: spec.nanoCpus ?? 0,
      PidsLimit: spec.pidsLimit ?? 0,
      SecurityOpt: spec.noNewPrivileges ? ['no-new-privileges:true'] : [],
      ReadonlyRootfs: spec.readOnlyRootfs ?? false,
      Tmpfs: { ...(spec.tmpfs ?? {}) },
      RestartPolicy: { Name: spec.restartPolicy ?? 'no', MaximumRetryCount: 0 },
    },
    // Engines before API 1.44 accept a single network at create; extra networks are connected afterwards.
    NetworkingConfig: {
      EndpointsConfig: { [spec.network.name]: { IPAMConfig: { IPv4Address: spec.network.ip } } },
    },
  };
}

/**
 * `ContainerRuntime` on a local Docker engine through dockerode. The only place in Pantheon that talks to
 * Docker; every engine error is converted to a `RuntimeError` here.
 */
export class DockerRuntime implements ContainerRuntime {
  private readonly docker: Docker;
  private readonly socketPath: string;
  /** The engine's CPU count (read once), or null when it does not say. */
  private engineCpus: number | null | undefined;

  constructor(options: DockerRuntimeOptions = {}) {
    this.socketPath = options.socketPath ?? DEFAULT_SOCKET_PATH;
    this.docker = new Docker({ socketPath: this.socketPath, timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }

  async ping(): Promise<void> {
    await this.call('ping', () => this.docker.ping());
  }

  async ensureImage(reference: string, options: EnsureImageOptions = {}): Promise<EnsureImageResult> {
    if ((await this.findImageId(reference)) !== null) return { pulled: false };
    const auth = options.auth
      ? { username: options.auth.username, password: options.auth.password, serveraddress: options.auth.serverAddress }
      : undefined;
    const timeoutMs = options.timeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
    const fail = (reason: string) => new RuntimeError(RuntimeErrorCode.IMAGE_PULL_FAILED, `pull ${reference}: ${reason}`);
    // Announced before asking: a refused request (unreachable registry) is still a pull the owner saw start.
    options.onProgress?.(0);
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.pull(reference, auth ? { authconfig: auth } : {})) as NodeJS.ReadableStream;
    } catch (error) {
      const converted = this.convert(error, `pull ${reference}`);
      if (converted.code === RuntimeErrorCode.DOCKER_UNAVAILABLE) throw converted;
      throw fail(pullRequestReason(error));
    }
    const progress = new PullProgress();
    await new Promise<void>((resolve, reject) => {
      // The engine reports a failed pull inside the stream, after a 200: the last error event decides.
      let streamError: string | null = null;
      const timer = setTimeout(() => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(fail(`no result within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.docker.modem.followProgress(
        stream,
        (error: Error | null) => {
          clearTimeout(timer);
          if (error || streamError) reject(fail(streamError ?? 'the pull stream broke off'));
          else resolve();
        },
        (event: PullStreamEvent) => {
          streamError = pullStreamError(event) ?? streamError;
          const percent = progress.update(event);
          if (percent !== null) options.onProgress?.(percent);
        },
      );
    });
    if ((await this.findImageId(reference)) === null) throw fail('the engine finished without the image');
    return { pulled: true };
  }

  async ensureNetwork(spec: NetworkSpec): Promise<EnsureNetworkResult> {
    validateNetworkSpec(spec);
    const existing = await this.findNetwork(spec.name);
    if (existing !== null) {
      this.assertManaged('network', spec.name, existing.Labels);
      return { network: networkDetails(existing), created: false, drift: networkDrift(spec, networkSummary(existing)) };
    }
    let created = true;
    try {
      await this.docker.createNetwork({
        Name: spec.name,
        // Without it older engines happily create a second network with the same name.
        CheckDuplicate: true,
        Driver: 'bridge',
        Internal: spec.internal ?? false,
        ...(spec.isolated ? { Options: { [ICC_OPTION]: 'false' } } : {}),
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
        Labels: withManagedLabel(spec.labels),
      });
    } catch (error) {
      // 409: a concurrent call created it first; fall through and report what is there.
      if (statusOf(error) !== 409) throw this.convert(error, `create network ${spec.name}`);
      created = false;
    }
    const network = await this.findNetwork(spec.name);
    if (network === null) {
      throw new RuntimeError(RuntimeErrorCode.NOT_FOUND, `network ${spec.name} vanished after create`);
    }
    return { network: networkDetails(network), created, drift: networkDrift(spec, networkSummary(network)) };
  }

  async removeNetwork(name: string): Promise<boolean> {
    const existing = await this.findNetwork(name);
    if (existing === null) return false;
    this.assertManaged('network', name, existing.Labels);
    try {
      await this.docker.getNetwork(existing.Id).remove();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw this.convert(error, `remove network ${name}`);
    }
  }

  async ensureContainer(requested: ContainerSpec): Promise<EnsureContainerResult> {
    validateContainerSpec(requested);
    const spec = await this.withinEngineCpus(requested);
    const imageId = await this.findImageId(spec.image);
    let info = await this.findContainer(spec.name);
    let created = false;
    if (info === null) {
      if (imageId === null) {
        throw new RuntimeError(RuntimeErrorCode.IMAGE_NOT_FOUND, `image ${spec.image} is not present`);
      }
      created = await this.createContainer(spec);
      info = await this.requireContainer(spec.name);
    } else {
      this.assertManaged('container', spec.name, info.Config.Labels);
    }

    try {
      // Connected before the start so the process boots with every interface.
      for (const extra of spec.extraNetworks ?? []) {
        if (!(extra.name in (info.NetworkSettings.Networks ?? {}))) {
          await this.connectNetwork(spec.name, extra.name, extra.ip);
        }
      }
      let started = false;
      if (!info.State.Running) {
        await this.startContainer(spec.name);
        started = true;
      }
      info = await this.requireContainer(spec.name);
      const drift = containerDrift(spec, observedContainer(info));
      // The reference was rebuilt since this container was created: it runs stale code.
      if (imageId !== null && info.Image !== imageId && !drift.some((entry) => entry.field === 'image')) {
        drift.push({ field: 'image', detail: `${spec.image} was rebuilt since the container was created` });
      }
      return { container: containerDetails(info), created, started, drift };
    } catch (error) {
      // A container this call created but could not wire up or start would block every retry.
      if (created) await this.removeContainer(spec.name).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The engine refuses a CPU quota above its own CPU count, so a quota beyond it is capped there (for creation
   * and for the drift comparison alike): on a smaller host the container may use every CPU, never fail.
   */
  private async withinEngineCpus(spec: ContainerSpec): Promise<ContainerSpec> {
    if (spec.nanoCpus === undefined) return spec;
    if (this.engineCpus === undefined) {
      const info = (await this.call('engine info', () => this.docker.info())) as { NCPU?: number };
      this.engineCpus = typeof info.NCPU === 'number' && info.NCPU > 0 ? info.NCPU : null;
    }
    const max = this.engineCpus === null ? Infinity : this.engineCpus * 1_000_000_000;
    return spec.nanoCpus > max ? { ...spec, nanoCpus: max } : spec;
  }

  async connectNetwork(container: string, network: string, ip?: string): Promise<boolean> {
    const info = await this.requireContainer(container);
    this.assertManaged('container', container, info.Config.Labels);
    const current = info.NetworkSettings.Networks?.[network];
    if (current !== undefined) return this.checkAttachment(container, network, current, ip);
    try {
      await this.docker.getNetwork(network).connect({
        Container: info.Id,
        EndpointConfig: ip === undefined ? {} : { IPAMConfig: { IPv4Address: ip } },
      });
      return true;
    } catch (error) {
      // A concurrent call may have attached it first.
      const raced = (await this.requireContainer(container)).NetworkSettings.Networks?.[network];
      if (raced !== undefined) return this.checkAttachment(container, network, raced, ip);
      throw this.convert(error, `connect ${container} to ${network}`);
    }
  }

  async disconnectNetwork(container: string, network: string): Promise<boolean> {
    const info = await this.findContainer(container);
    if (info === null || info.NetworkSettings.Networks?.[network] === undefined) return false;
    this.assertManaged('container', container, info.Config.Labels);
    try {
      await this.docker.getNetwork(network).disconnect({ Container: info.Id, Force: true });
      return true;
    } catch (error) {
      // 404: the network or the attachment is already gone.
      if (statusOf(error) === 404) return false;
      throw this.convert(error, `disconnect ${container} from ${network}`);
    }
  }

  async removeContainer(name: string): Promise<boolean> {
    const info = await this.findContainer(name);
    if (info === null) return false;
    this.assertManaged('container', name, info.Config.Labels);
    try {
      // v: anonymous volumes (the VM image declares one) would otherwise outlive the project.
      await this.docker.getContainer(info.Id).remove({ force: true, v: true });
      return true;
    } catch (error) {
      // 404: already gone; 409: another caller's removal is in progress.
      const status = statusOf(error);
      if (status === 404 || status === 409) return false;
      throw this.convert(error, `remove container ${name}`);
    }
  }

  async listByLabel(labels: Labels): Promise<LabelledObjects> {
    // The managed label is always part of the filter: an empty selector must not list foreign objects.
    const filters = labelFilters(labels);
    const [containers, networks] = await Promise.all([
      this.call('list containers', () => this.docker.listContainers({ all: true, filters })),
      this.call('list networks', () => this.docker.listNetworks({ filters })),
    ]);
    return { containers: containers.map(containerSummary), networks: networks.map(networkSummary) };
  }

  async inspectContainer(name: string): Promise<ContainerDetails | null> {
    const info = await this.findContainer(name);
    return info === null ? null : containerDetails(info);
  }

  async inspectNetwork(name: string): Promise<NetworkDetails | null> {
    const info = await this.findNetwork(name);
    return info === null ? null : networkDetails(info);
  }

  private async createContainer(spec: ContainerSpec): Promise<boolean> {
    for (const name of [spec.network.name, ...(spec.extraNetworks ?? []).map((extra) => extra.name)]) {
      if ((await this.findNetwork(name)) === null) {
        throw new RuntimeError(RuntimeErrorCode.NOT_FOUND, `network ${name} for container ${spec.name} does not exist`);
      }
    }
    try {
      await this.docker.createContainer(createOptions(spec));
      return true;
    } catch (error) {
      // 409: a concurrent call created it first.
      if (statusOf(error) === 409) return false;
      throw this.convert(error, `create container ${spec.name}`);
    }
  }

  private async startContainer(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).start();
    } catch (error) {
      // 304: already started by a concurrent call.
      if (statusOf(error) !== 304) throw this.convert(error, `start container ${name}`);
    }
  }

  private checkAttachment(container: string, network: string, endpoint: EndpointLike, ip?: string): boolean {
    const address = endpointAddress(endpoint);
    if (ip !== undefined && address !== ip) {
      throw new RuntimeError(
        RuntimeErrorCode.CONFLICT,
        `container ${container} is attached to ${network} with ${address ?? 'no address'}, not ${ip}`,
      );
    }
    return false;
  }

  private assertManaged(kind: 'container' | 'network', name: string, labels: Labels | undefined): void {
    if (!isManaged(labels)) {
      throw new RuntimeError(RuntimeErrorCode.NOT_MANAGED, `${kind} ${name} exists but is not managed by Pantheon`);
    }
  }

  private async findImageId(reference: string): Promise<string | null> {
    return this.orNull(`inspect image ${reference}`, async () => (await this.docker.getImage(reference).inspect()).Id);
  }

  private findContainer(name: string): Promise<Docker.ContainerInspectInfo | null> {
    return this.orNull(`inspect container ${name}`, () => this.docker.getContainer(name).inspect());
  }

  private async requireContainer(name: string): Promise<Docker.ContainerInspectInfo> {
    const info = await this.findContainer(name);
    if (info === null) throw new RuntimeError(RuntimeErrorCode.NOT_FOUND, `container ${name} does not exist`);
    return info;
  }

  private async findNetwork(name: string): Promise<Docker.NetworkInspectInfo | null> {
    const info = await this.orNull<Docker.NetworkInspectInfo>(`inspect network ${name}`, () =>
      this.docker.getNetwork(name).inspect(),
    );
    // The engine also resolves id prefixes; only an exact name counts.
    return info !== null && info.Name === name ? info : null;
  }

  private async orNull<T>(context: string, operation: () => Promise<T>): Promise<T | null> {
    try {
      return await operation();
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw this.convert(error, context);
    }
  }

  private async call<T>(context: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.convert(error, context);
    }
  }

  /** Maps a dockerode/docker-modem error to a RuntimeError; the raw error never leaves this class. */
  private convert(error: unknown, context: string): RuntimeError {
    if (error instanceof RuntimeError) return error;
    const engineError = (error ?? {}) as EngineError;
    const status = engineError.statusCode;
    if (status === undefined) {
      if (typeof engineError.code === 'string' && engineError.code.startsWith('E')) {
        return new RuntimeError(
          RuntimeErrorCode.DOCKER_UNAVAILABLE,
          `${context}: docker engine unreachable at ${this.socketPath} (${engineError.code})`,
        );
      }
      return new RuntimeError(RuntimeErrorCode.DOCKER_ERROR, `${context}: unexpected engine client failure`);
    }
    const reason = engineReason(engineError);
    const message = `${context}: ${reason}`;
    if (/overlaps with other one|pool overlaps/i.test(reason)) {
      return new RuntimeError(RuntimeErrorCode.SUBNET_IN_USE, message);
    }
    if (/address already in use|already allocated|no available ip/i.test(reason)) {
      return new RuntimeError(RuntimeErrorCode.ADDRESS_IN_USE, message);
    }
    if (/no such image/i.test(reason)) return new RuntimeError(RuntimeErrorCode.IMAGE_NOT_FOUND, message);
    // Reported at start (status 500) for a static address outside the network's subnet.
    if (/invalid address/i.test(reason)) return new RuntimeError(RuntimeErrorCode.INVALID_SPEC, message);
    switch (status) {
      case 400:
        return new RuntimeError(RuntimeErrorCode.INVALID_SPEC, message);
      case 404:
        return new RuntimeError(RuntimeErrorCode.NOT_FOUND, message);
      case 403:
      case 409:
        return new RuntimeError(RuntimeErrorCode.CONFLICT, message);
      default:
        return new RuntimeError(RuntimeErrorCode.DOCKER_ERROR, message);
    }
  }
}
