import { Logger } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { createBullConnection, ProjectJobQueue } from './job-queue';
import { bullPrefix, QueueJobData, QueueName, QUEUES, RECONCILE_JOB_OPTIONS } from './queues';

/** The job states counted for queue depth. */
export const JOB_COUNT_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type JobCountState = (typeof JOB_COUNT_STATES)[number];

/** What a handler sees of a job; BullMQ's own Job type stays inside this lib. */
export interface QueueJob<T> {
  id: string | undefined;
  data: T;
  /** 1 on the first run, counting up with each retry. */
  attempt: number;
  /** True when a failure of this run is final: no retry follows. */
  lastAttempt: boolean;
}

export type JobHandler<T> = (job: QueueJob<T>) => Promise<unknown>;

/** One handler per queue: the type makes a missing one a build error, startWorkers() a boot error. */
export type QueueHandlers = { [Q in QueueName]: JobHandler<QueueJobData[Q]> };

export interface JobQueueFactoryOptions {
  redisUrl: string;
  /** The deployment's REDIS_PREFIX; BullMQ keys live under `<prefix>:bull`. */
  redisPrefix: string;
  /** Prefix of the connection names this factory opens (seen in Redis CLIENT LIST). */
  connectionName: string;
}

export interface StartWorkersOptions {
  /** Jobs run at once per queue; reconcile always runs one pass at a time. */
  concurrency: number;
  /** A worker that stops renewing a job's lock for this long is presumed dead and its job is taken over. */
  lockMs: number;
}

function toQueueJob<T>(job: Job<T>): QueueJob<T> {
  const attempt = job.attemptsMade + 1;
  return { id: job.id, data: job.data, attempt, lastAttempt: attempt >= (job.opts.attempts ?? 1) };
}

/**
 * The one place a process builds BullMQ queues and workers: connections, key prefix, job options and the
 * dedup job ids (through ProjectJobQueue). It owns every connection it opens; close() releases them all.
 */
export class JobQueueFactory {
  private readonly logger = new Logger('QueueWorkers');
  private readonly prefix: string;
  private readonly workers: Worker[] = [];
  private readonly queues: { close(): Promise<void> }[] = [];
  private readonly connections: Redis[] = [];
  private countQueues: Queue[] | undefined;

  constructor(private readonly options: JobQueueFactoryOptions) {
    this.prefix = bullPrefix(options.redisPrefix);
  }

  /** Producer of provision/deprovision jobs (the API, the reconciler). */
  projectQueue(): ProjectJobQueue {
    const queue = new ProjectJobQueue(this.connection('producer'), this.options.redisPrefix);
    this.queues.push(queue);
    return queue;
  }

  /**
   * Starts one worker per queue. A killed worker's active jobs are taken over by another after `lockMs`
   * (stalled-job recovery, up to 3 times); handlers must be idempotent so that re-running converges.
   */
  startWorkers(handlers: QueueHandlers, options: StartWorkersOptions): void {
    const missing = Object.values(QUEUES).filter((q) => typeof handlers[q] !== 'function');
    if (missing.length > 0) throw new Error(`no handler for queue(s): ${missing.join(', ')}`);
    for (const name of Object.values(QUEUES)) {
      const handler = handlers[name] as JobHandler<unknown>;
      const worker = new Worker(name, (job: Job) => handler(toQueueJob(job)), {
        connection: this.connection(name),
        prefix: this.prefix,
        concurrency: name === QUEUES.reconcile ? 1 : options.concurrency,
        lockDuration: options.lockMs,
        stalledInterval: options.lockMs,
        maxStalledCount: 3,
      });
      worker.on('failed', (job, err) =>
        this.logger.warn({ queue: name, jobId: job?.id, projectId: job?.data?.projectId, err: err.message }, 'job failed'),
      );
      worker.on('error', (err) => this.logger.error({ queue: name, err: err.message }, 'worker error'));
      this.workers.push(worker);
    }
  }

  /** A reconcile pass every `everyMs` (one schedule however many workers upsert it), plus one right away. */
  async scheduleReconcile(everyMs: number): Promise<void> {
    const queue = new Queue(QUEUES.reconcile, { connection: this.connection('scheduler'), prefix: this.prefix });
    this.queues.push(queue);
    await queue.upsertJobScheduler('reconcile-every', { every: everyMs }, { name: 'reconcile', data: {}, opts: RECONCILE_JOB_OPTIONS });
    await queue.add('reconcile', {}, { ...RECONCILE_JOB_OPTIONS, jobId: `reconcile-boot-${Date.now()}` });
  }

  /**
   * Jobs per queue and state, read from Redis when asked (metrics scrapes). `failed` counts the failed jobs
   * still kept (PROJECT_JOB_OPTIONS trims them), not every failure since boot.
   */
  async jobCounts(): Promise<Record<QueueName, Record<JobCountState, number>>> {
    this.countQueues ??= Object.values(QUEUES).map((name) => {
      const queue = new Queue(name, { connection: this.connection('counts'), prefix: this.prefix });
      this.queues.push(queue);
      return queue;
    });
    const counts = await Promise.all(this.countQueues.map((q) => q.getJobCounts(...JOB_COUNT_STATES)));
    return Object.fromEntries(
      this.countQueues.map((q, i) => [q.name, Object.fromEntries(JOB_COUNT_STATES.map((state) => [state, counts[i]![state] ?? 0]))]),
    ) as Record<QueueName, Record<JobCountState, number>>;
  }

  /** Lets running jobs finish their current step (unfinished ones are retried elsewhere), then disconnects. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all(this.queues.map((q) => q.close()));
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private connection(role: string): Redis {
    const connection = createBullConnection(this.options.redisUrl, `${this.options.connectionName}-${role}`);
    this.connections.push(connection);
    return connection;
  }
}
