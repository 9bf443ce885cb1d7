import { RuntimeError, RuntimeErrorCode } from './runtime.errors';

/** Label keys on every container and network Pantheon creates. */
export const LABEL_KEYS = {
  /** Always `"true"`; the runtime refuses to modify or remove objects without it. */
  managed: 'pantheon.managed',
  project: 'pantheon.project',
  role: 'pantheon.role',
  /** User id of the project owner (optional, for operators). */
  owner: 'pantheon.owner',
  /** Set by test runs so each run cleans up exactly its own objects. */
  testRun: 'pantheon.test-run',
} as const;

export const MANAGED_LABEL_VALUE = 'true';

/** What a labelled object is for. */
export type ResourceRole = 'network' | 'vm' | 'tools' | 'share';
/** The roles that are containers. */
export type ContainerRole = Exclude<ResourceRole, 'network'>;

export type Labels = Record<string, string>;

export interface ResourceLabelsParams {
  projectId: string;
  role: ResourceRole;
  ownerId?: string;
  testRun?: string;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validates a UUID and returns its lower-case form, so that names and labels derived from it are the
 * same whatever case the caller used (Postgres prints UUIDs in lower case).
 * @throws RuntimeError INVALID_PROJECT_ID
 */
export function normalizeProjectId(projectId: string): string {
  if (!UUID_PATTERN.test(projectId)) {
    throw new RuntimeError(RuntimeErrorCode.INVALID_PROJECT_ID, 'project id must be a UUID');
  }
  return projectId.toLowerCase();
}

/** True for a value that can be a project id (a UUID, any case): labels on objects are only trusted if so. */
export function isProjectId(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Labels for a project's network or container: managed, project, role, and optionally owner and test run. */
export function resourceLabels(params: ResourceLabelsParams): Labels {
  const labels: Labels = {
    [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE,
    [LABEL_KEYS.project]: normalizeProjectId(params.projectId),
    [LABEL_KEYS.role]: params.role,
  };
  if (params.ownerId !== undefined) {
    if (!UUID_PATTERN.test(params.ownerId)) {
      throw new RuntimeError(RuntimeErrorCode.INVALID_SPEC, 'owner id must be a UUID');
    }
    labels[LABEL_KEYS.owner] = params.ownerId.toLowerCase();
  }
  if (params.testRun !== undefined) {
    if (params.testRun === '') throw new RuntimeError(RuntimeErrorCode.INVALID_SPEC, 'test run id must not be empty');
    labels[LABEL_KEYS.testRun] = params.testRun;
  }
  return labels;
}

/** Selector (for `listByLabel`) of every object Pantheon manages. */
export function managedSelector(): Labels {
  return { [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE };
}

/** Selector (for `listByLabel`) of every object of one project. */
export function projectSelector(projectId: string): Labels {
  return { ...managedSelector(), [LABEL_KEYS.project]: normalizeProjectId(projectId) };
}

/** Selector (for `listByLabel`) of every object one test run created. */
export function testRunSelector(testRun: string): Labels {
  return { ...managedSelector(), [LABEL_KEYS.testRun]: testRun };
}

/** Deterministic container name `pantheon-<role>-<projectId>`. */
export function containerName(role: ContainerRole, projectId: string): string {
  return `pantheon-${role}-${normalizeProjectId(projectId)}`;
}

/** Deterministic network name `pantheon-net-<projectId>`. */
export function networkName(projectId: string): string {
  return `pantheon-net-${normalizeProjectId(projectId)}`;
}

/** True when the labels mark an object as created by Pantheon. */
export function isManaged(labels: Labels | undefined): boolean {
  return labels?.[LABEL_KEYS.managed] === MANAGED_LABEL_VALUE;
}
