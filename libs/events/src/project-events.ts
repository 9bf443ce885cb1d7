/** Lifecycle states of a project (the same values as projects.status). */
export const PROJECT_STATUSES = ['queued', 'provisioning', 'running', 'failed', 'deleting', 'deleted'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/**
 * Provisioning steps, in order; `progress` of an event is the share of steps done (0–100). `pulling` happens
 * only when an image is absent; its events carry `pull` with the download's own percentage.
 */
export const PROVISION_STEPS = ['pulling', 'network', 'share', 'vm', 'tools', 'ready'] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];

/** What subscribers receive on every change of a project. */
export interface ProjectEvent {
  projectId: string;
  status: ProjectStatus;
  /** The step just completed or under way; null when not provisioning. */
  step: ProvisionStep | 'deprovision' | null;
  /** 0–100. */
  progress: number;
  /** During the `pulling` step: which image is downloading and how far (0–100). */
  pull?: { image: string; percent: number };
  /** Present when status is failed: a reason fit for the user (no internals, no secrets). */
  error?: string;
  /** ISO-8601 time the event was published. */
  at: string;
  /** Per-user sequence number, strictly increasing; clients pass the last one they saw to replay. */
  seq: number;
}

/** Input of a publish: the publisher adds `at` and `seq`. */
export type ProjectEventInput = Omit<ProjectEvent, 'at' | 'seq'> & { userId: string };
