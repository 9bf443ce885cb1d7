import type { JobsOptions } from 'bullmq';

/** BullMQ queue names. One queue per kind of work, so each can be scaled and paused on its own. */
export const QUEUES = {
  provision: 'provision',
  deprovision: 'deprovision',
  reconcile: 'reconcile',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Every job names the user and the project it acts for (the worker never trusts anything else). */
export interface ProjectJobData {
  userId: string;
  projectId: string;
  /** Request id of the API call that caused the job, for log correlation. */
  requestId?: string | null;
}

export type ReconcileJobData = Record<string, never>;

/** The payload type of each queue's jobs. */
export interface QueueJobData {
  provision: ProjectJobData;
  deprovision: ProjectJobData;
  reconcile: ReconcileJobData;
}

/**
 * Job ids are derived from project + action, so enqueueing the same action twice (a retried request, the
 * reconciler re-driving) adds nothing while the first job exists.
 */
export function projectJobId(action: 'provision' | 'deprovision', projectId: string): string {
  return `${action}-${projectId}`;
}

/** Retries with exponential backoff; finished jobs are kept briefly for inspection, then trimmed. */
export const PROJECT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 24 * 3600, count: 1000 },
};

/** Reconcile passes are cheap and repeat: only the last few are kept. */
export const RECONCILE_JOB_OPTIONS: JobsOptions = { removeOnComplete: 100, removeOnFail: 100 };

/** BullMQ key prefix for a deployment (keeps several deployments or test runs apart in one Redis). */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}
