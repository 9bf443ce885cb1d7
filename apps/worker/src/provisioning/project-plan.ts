import type { AppConfig } from '@pantheon/config';
import type { ProjectSubnet } from '@pantheon/ipam';
import {
  ContainerSpec,
  containerName,
  Labels,
  LABEL_KEYS,
  MANAGED_LABEL_VALUE,
  NetworkSpec,
  networkName,
  resourceLabels,
  ResourceRole,
} from '@pantheon/runtime';
import { ShareClientConfig, shareDirFor } from './share-folder';
import { oemDirFor } from './guest-agent-setup';
import { API_CREDENTIAL_FILE, GUEST_AGENT_TOKEN_FILE, PROJECT_TOKEN_FILE, TOOLS_SECRETS_MOUNT, toolsSecretsDirFor } from './tools-secrets';

export interface VmSpec {
  ram_gb: number;
  cpu_cores: number;
  disk_gb: number;
  windows_version: string;
}

export interface ProjectPlanInput {
  projectId: string;
  ownerId: string;
  subnet: ProjectSubnet;
  vm: VmSpec;
}

/** Port of the tools API inside its container (apps/tools-api). */
export const TOOLS_API_PORT = 8090;
export const VM_VIEWER_PORT = 8006;
export const SHARE_SERVER_PORT = 8080;

const MIB = 1024 * 1024;
/** Writable scratch for the images whose root is read-only: no executables, no setuid. */
const SCRATCH_TMPFS = { '/tmp': 'rw,noexec,nosuid,nodev,size=16m' };

/** Our own images (tools API, share server) need no capability at all and run with a read-only root. */
function lockedDown(memoryMb: number, cpuMillicores: number, pidsLimit: number): Partial<ContainerSpec> {
  return {
    memoryBytes: memoryMb * MIB,
    nanoCpus: cpuMillicores * 1_000_000,
    pidsLimit,
    capDrop: ['ALL'],
    noNewPrivileges: true,
    readOnlyRootfs: true,
    tmpfs: { ...SCRATCH_TMPFS },
  };
}

/**
 * Everything the worker creates for one project, derived only from the project and config, so every step
 * is a pure, repeatable description that the idempotent runtime can converge to.
 */
export class ProjectPlan {
  constructor(
    private readonly config: AppConfig,
    private readonly input: ProjectPlanInput,
  ) {}

  get shareDir(): string {
    return shareDirFor(this.config.SHARE_ROOT, this.input.projectId);
  }

  /** The project's own /oem folder on the host. */
  get oemDir(): string {
    return oemDirFor(this.config.OEM_DIR, this.input.projectId);
  }

  get projectId(): string {
    return this.input.projectId;
  }

  /** The tools API's credential folder on the host (read-only in the container). */
  get toolsSecretsDir(): string {
    return toolsSecretsDirFor(this.config.TOOLS_CREDENTIALS_ROOT, this.input.projectId);
  }

  /** The gateway as the project's containers reach it (the backend's .3 on the project network). */
  get gatewayUrl(): string {
    return this.config.GATEWAY_URL_FOR_PROJECTS.replace('{backend_ip}', this.input.subnet.backend);
  }

  /**
   * What programs in the VM are told (pantheon.json in the shared folder): both gateway formats and the MCP
   * relay on the API, all authenticated with the project token, so the VM needs no other credential.
   */
  shareClientConfig(): ShareClientConfig {
    const openaiBaseUrl = this.gatewayUrl.replace(/\/+$/, '');
    const origin = openaiBaseUrl.replace(/\/v1$/, '');
    return {
      projectId: this.input.projectId,
      openaiBaseUrl,
      anthropicBaseUrl: origin,
      mcpUrl: `${origin}/api/projects/${this.input.projectId}/mcp`,
    };
  }

  labels(role: ResourceRole): Labels {
    return resourceLabels({
      projectId: this.input.projectId,
      role,
      ownerId: this.input.ownerId,
      testRun: this.config.RUNTIME_TEST_RUN_LABEL,
    });
  }

  network(): NetworkSpec {
    const { subnet } = this.input;
    return { name: networkName(this.input.projectId), subnet: subnet.cidr, gateway: subnet.gateway, labels: this.labels('network') };
  }

  share(): ContainerSpec {
    return {
      name: containerName('share', this.input.projectId),
      image: this.config.SHARE_IMAGE,
      env: { SHARE_ROOT: '/shared', SHARE_PORT: String(SHARE_SERVER_PORT) },
      labels: this.labels('share'),
      network: { name: networkName(this.input.projectId), ip: this.input.subnet.share },
      mounts: [{ source: this.shareDir, target: '/shared', readOnly: true }],
      restartPolicy: 'unless-stopped',
      ...lockedDown(this.config.SHARE_MEMORY_MB, this.config.SHARE_CPU_MILLICORES, this.config.SHARE_PIDS_LIMIT),
    };
  }

  /**
   * dockurr/windows takes its spec from env: VERSION, RAM_SIZE, CPU_CORES, DISK_SIZE. Its limits follow the
   * spec: the guest's RAM plus the emulator's overhead, its cores, and only the capabilities it needs. Its root
   * stays writable (the image writes its disk and firmware state there).
   */
  vm(): ContainerSpec {
    const { vm } = this.input;
    const devices = this.config.VM_DEVICES === 'none' ? [] : this.config.VM_DEVICES.split(',');
    const capAdd = this.config.VM_CAP_ADD === 'none' ? [] : this.config.VM_CAP_ADD.split(',');
    return {
      name: containerName('vm', this.input.projectId),
      image: this.config.VM_IMAGE,
      env: {
        VERSION: vm.windows_version,
        RAM_SIZE: `${vm.ram_gb}G`,
        CPU_CORES: String(vm.cpu_cores),
        DISK_SIZE: `${vm.disk_gb}G`,
      },
      labels: this.labels('vm'),
      network: { name: networkName(this.input.projectId), ip: this.input.subnet.vm },
      devices,
      capAdd,
      capDrop: ['ALL'],
      noNewPrivileges: true,
      memoryBytes: (vm.ram_gb * 1024 + this.config.VM_MEMORY_OVERHEAD_MB) * MIB,
      nanoCpus: vm.cpu_cores * 1_000_000_000,
      pidsLimit: this.config.VM_PIDS_LIMIT,
      mounts: [
        { source: this.oemDir, target: '/oem', readOnly: true },
        { source: this.shareDir, target: '/shared', readOnly: false },
      ],
      restartPolicy: 'unless-stopped',
    };
  }

  /**
   * Multi-homed: `.1` on the project network, and an address on the tools network (ICC off, no data services)
   * that host processes reach it by; never on the platform network. Its project token (for the LLM gateway)
   * and its inbound credential are files in a read-only mount, never env, so `docker inspect` shows neither.
   */
  tools(): ContainerSpec {
    return {
      name: containerName('tools', this.input.projectId),
      image: this.config.TOOLS_IMAGE,
      env: {
        PROJECT_ID: this.input.projectId,
        VM_HOST: this.input.subnet.vm,
        VM_VIEWER_PORT: String(VM_VIEWER_PORT),
        PORT: String(TOOLS_API_PORT),
        PANTHEON_GATEWAY_URL: this.gatewayUrl,
        PANTHEON_PROJECT_TOKEN_FILE: `${TOOLS_SECRETS_MOUNT}/${PROJECT_TOKEN_FILE}`,
        PANTHEON_API_CREDENTIAL_FILE: `${TOOLS_SECRETS_MOUNT}/${API_CREDENTIAL_FILE}`,
        GUEST_AGENT_TOKEN_FILE: `${TOOLS_SECRETS_MOUNT}/${GUEST_AGENT_TOKEN_FILE}`,
      },
      labels: this.labels('tools'),
      network: { name: networkName(this.input.projectId), ip: this.input.subnet.tools },
      extraNetworks: [{ name: this.config.TOOLS_NETWORK }],
      mounts: [{ source: this.toolsSecretsDir, target: TOOLS_SECRETS_MOUNT, readOnly: true }],
      restartPolicy: 'unless-stopped',
      ...lockedDown(this.config.TOOLS_MEMORY_MB, this.config.TOOLS_CPU_MILLICORES, this.config.TOOLS_PIDS_LIMIT),
    };
  }
}

/**
 * The tools network (shared, never removed by the reconciler): tools containers and the API only, with
 * inter-container traffic off, so one project's tools container cannot reach another's. Gateway `.1` is the
 * host, through which the worker (and an API on the host) reach the tools APIs.
 */
export function toolsNetworkSpec(config: AppConfig): NetworkSpec {
  const base = config.TOOLS_SUBNET.replace(/\.0\/24$/, '');
  const labels: Labels = { [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE, [LABEL_KEYS.role]: 'tools-network' };
  if (config.RUNTIME_TEST_RUN_LABEL) labels[LABEL_KEYS.testRun] = config.RUNTIME_TEST_RUN_LABEL;
  return { name: config.TOOLS_NETWORK, subnet: config.TOOLS_SUBNET, gateway: `${base}.1`, labels, isolated: true };
}

/** The shared platform network (not per project: no project label, never removed by the reconciler). */
export function platformNetworkSpec(config: AppConfig): NetworkSpec {
  const base = config.PLATFORM_SUBNET.replace(/\.0\/24$/, '');
  const labels: Labels = { [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE, [LABEL_KEYS.role]: 'platform' };
  if (config.RUNTIME_TEST_RUN_LABEL) labels[LABEL_KEYS.testRun] = config.RUNTIME_TEST_RUN_LABEL;
  return { name: config.PLATFORM_NETWORK, subnet: config.PLATFORM_SUBNET, gateway: `${base}.1`, labels };
}
