import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { bullPrefix, PROJECT_JOB_OPTIONS, ProjectJobData, projectJobId, QUEUES } from './queues';

/** A BullMQ connection: BullMQ manages its own key prefix and needs blocking commands never to time out. */
export function createBullConnection(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name });
}

export type EnqueueResult = 'queued' | 'already-queued';

/**
 * Producer side of the project queues (the API and the reconciler). Job ids come from project + action, so
 * a retried request or a second reconciler adds nothing while a job for that action exists.
 */
export class ProjectJobQueue {
  private readonly provision: Queue<ProjectJobData>;
  private readonly deprovision: Queue<ProjectJobData>;

  constructor(
    connection: Redis,
    redisPrefix: string,
  ) {
    const prefix = bullPrefix(redisPrefix);
    this.provision = new Queue<ProjectJobData>(QUEUES.provision, { connection, prefix });
    this.deprovision = new Queue<ProjectJobData>(QUEUES.deprovision, { connection, prefix });
  }

  enqueueProvision(data: ProjectJobData): Promise<EnqueueResult> {
    return this.enqueue(this.provision, 'provision', data);
  }

  /** Also drops a provision job that has not started yet: there is nothing left to build. */
  async enqueueDeprovision(data: ProjectJobData): Promise<EnqueueResult> {
    const pending = await this.provision.getJob(projectJobId('provision', data.projectId));
    if (pending && ['waiting', 'delayed', 'prioritized'].includes(await pending.getState())) {
      await pending.remove().catch(() => undefined);
    }
    return this.enqueue(this.deprovision, 'deprovision', data);
  }

  /** State of the project's job for an action, or null when there is none. */
  async jobState(action: 'provision' | 'deprovision', projectId: string): Promise<string | null> {
    const queue = action === 'provision' ? this.provision : this.deprovision;
    const job = await queue.getJob(projectJobId(action, projectId));
    return job ? job.getState() : null;
  }

  private async enqueue(queue: Queue<ProjectJobData>, action: 'provision' | 'deprovision', data: ProjectJobData): Promise<EnqueueResult> {
    const jobId = projectJobId(action, data.projectId);
    const existing = await queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed') return 'already-queued';
      // A finished job keeps its id until trimmed; remove it so the action can run again.
      await existing.remove();
    }
    await queue.add(action, data, { ...PROJECT_JOB_OPTIONS, jobId });
    return 'queued';
  }

  async close(): Promise<void> {
    await Promise.all([this.provision.close(), this.deprovision.close()]);
  }
}
