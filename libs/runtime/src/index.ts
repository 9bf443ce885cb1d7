export {
  type ConfigDrift,
  type ContainerDetails,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type ContainerSummary,
  type EnsureContainerResult,
  type EnsureImageOptions,
  type EnsureImageResult,
  type RegistryAuth,
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
export {
  containerName,
  isProjectId,
  LABEL_KEYS,
  MANAGED_LABEL_VALUE,
  networkName,
  projectSelector,
  resourceLabels,
  testRunSelector,
  type ContainerRole,
  type Labels,
  type ResourceLabelsParams,
  type ResourceRole,
} from './labels';
export { RuntimeError, RuntimeErrorCode } from './runtime.errors';
export { PullProgress, pullStreamError, type PullStreamEvent } from './pull-progress';
