import { ContainerRuntime, projectSelector } from '@pantheon/runtime';

/**
 * Removes every container, then every network, labelled with the project (remove-if-present, so running it
 * twice or after a partial run is safe). Containers go first: a network with endpoints cannot be removed,
 * which is also why the backend container (joined at .3) is detached first.
 */
export async function removeProjectResources(runtime: ContainerRuntime, projectId: string, backendContainer?: string): Promise<number> {
  const { containers, networks } = await runtime.listByLabel(projectSelector(projectId));
  for (const c of containers) await runtime.removeContainer(c.name);
  for (const n of networks) {
    if (backendContainer) await runtime.disconnectNetwork(backendContainer, n.name);
    await runtime.removeNetwork(n.name);
  }
  return containers.length + networks.length;
}
