import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { bullPrefix, createBullConnection, ProjectJobData, QueueName, QUEUES } from '@pantheon/events';
import { Job, Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { DeprovisionProcessor } from './processors/deprovision.processor';
import { ProvisionProcessor } from './processors/provision.processor';
import { ReconcileProcessor } from './processors/reconcile.processor';

type Handler = (job: Job) => Promise<unknown>;

/**
 * Runs one BullMQ worker per queue. Every queue has exactly one handler (checked at startup, so a missing
 * processor fails boot instead of leaving jobs to pile up). A killed worker's active jobs are taken over by
 * another after JOB_LOCK_MS (stalled-job recovery); steps are idempotent, so re-running converges.
 */
@Injectable()
export class QueueWorkersService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('QueueWorkers');
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  private reconcileQueue?: Queue;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly provision: ProvisionProcessor,
    private readonly deprovision: DeprovisionProcessor,
    private readonly reconcile: ReconcileProcessor,
  ) {}

  handlers(): Record<QueueName, Handler> {
    return {
      [QUEUES.provision]: (job) => this.provision.process(job as Job<ProjectJobData>),
      [QUEUES.deprovision]: (job) => this.deprovision.process(job as Job<ProjectJobData>),
      [QUEUES.reconcile]: () => this.reconcile.process(),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const handlers = this.handlers();
    const missing = Object.values(QUEUES).filter((q) => typeof handlers[q] !== 'function');
    if (missing.length > 0) throw new Error(`no handler for queue(s): ${missing.join(', ')}`);

    const prefix = bullPrefix(this.config.REDIS_PREFIX);
    for (const [name, handler] of Object.entries(handlers)) {
      const connection = this.connection(`pantheon-worker-${name}`);
      const worker = new Worker(name, handler, {
        connection,
        prefix,
        concurrency: name === QUEUES.reconcile ? 1 : this.config.WORKER_CONCURRENCY,
        lockDuration: this.config.JOB_LOCK_MS,
        stalledInterval: this.config.JOB_LOCK_MS,
        maxStalledCount: 3,
      });
      worker.on('failed', (job, err) =>
        this.logger.warn({ queue: name, jobId: job?.id, projectId: job?.data?.projectId, err: err.message }, 'job failed'),
      );
      worker.on('error', (err) => this.logger.error({ queue: name, err: err.message }, 'worker error'));
      this.workers.push(worker);
    }

    // One schedule for all workers (upsert is idempotent), plus a pass right away after a (re)start.
    this.reconcileQueue = new Queue(QUEUES.reconcile, { connection: this.connection('pantheon-worker-scheduler'), prefix });
    await this.reconcileQueue.upsertJobScheduler(
      'reconcile-every',
      { every: this.config.RECONCILE_INTERVAL_MS },
      { name: 'reconcile', data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    await this.reconcileQueue.add('reconcile', {}, { jobId: `reconcile-boot-${Date.now()}`, removeOnComplete: 100, removeOnFail: 100 });
    this.logger.log({ queues: Object.keys(handlers), concurrency: this.config.WORKER_CONCURRENCY }, 'queue workers started');
  }

  private connection(name: string): Redis {
    const c = createBullConnection(this.config.REDIS_URL, name);
    this.connections.push(c);
    return c;
  }

  async onModuleDestroy(): Promise<void> {
    // Let running jobs finish their current step; unfinished ones are retried by whoever picks them up.
    await Promise.all(this.workers.map((w) => w.close()));
    await this.reconcileQueue?.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
