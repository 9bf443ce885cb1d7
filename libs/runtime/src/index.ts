export {
  type ConfigDrift,
  type ContainerDetails,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type ContainerSummary,
  type EnsureContainerResult,
  type EnsureNetworkResult,
  type LabelledObjects,
  type MountSpec,
  type NetworkDetails,
  type NetworkSpec,
  type NetworkSummary,
  type PortSpec,
  type RestartPolicy,
} from './container-runtime';
export { DockerRuntime, type DockerRuntimeOptions } from './docker.runtime';
export { InMemoryRuntime, type InMemoryRuntimeOptions } from './in-memory.runtime';
export {
  DEFAULT_PLATFORM_NETWORK_NAME,
  MAX_SUBNET_INDEX,
  MIN_SUBNET_INDEX,
  platformNetwork,
  subnetForIndex,
  subnetIndexOf,
  type PlatformNetwork,
  type ProjectSubnet,
} from './ipam';
export {
  containerName,
  isManaged,
  LABEL_KEYS,
  managedSelector,
  MANAGED_LABEL_VALUE,
  networkName,
  normalizeProjectId,
  projectSelector,
  resourceLabels,
  testRunSelector,
  type ContainerRole,
  type Labels,
  type ResourceLabelsParams,
  type ResourceRole,
} from './labels';
export { RuntimeError, RuntimeErrorCode } from './runtime.errors';
