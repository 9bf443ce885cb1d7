import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { JobQueueFactory, QueueHandlers } from '@pantheon/events';
import { DeprovisionProcessor } from './processors/deprovision.processor';
import { ProvisionProcessor } from './processors/provision.processor';
import { ReconcileProcessor } from './processors/reconcile.processor';
import { WorkerMetrics } from './worker.metrics';
import { JOB_QUEUES } from './worker.tokens';

/**
 * Wires each queue to its processor and schedules reconciliation. Every queue has exactly one handler
 * (checked at startup, so a missing processor fails boot instead of leaving jobs to pile up); the workers
 * are closed with the factory, in worker.module.ts.
 */
@Injectable()
export class QueueWorkersService implements OnApplicationBootstrap {
  private readonly logger = new Logger('QueueWorkers');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_QUEUES) private readonly queues: JobQueueFactory,
    private readonly provision: ProvisionProcessor,
    private readonly deprovision: DeprovisionProcessor,
    private readonly reconcile: ReconcileProcessor,
    private readonly metrics: WorkerMetrics,
  ) {}

  private handlers(): QueueHandlers {
    return {
      provision: (job) => this.metrics.timeJob('provision', job, () => this.provision.process(job)),
      deprovision: (job) => this.metrics.timeJob('deprovision', job, () => this.deprovision.process(job)),
      reconcile: (job) => this.metrics.timeJob('reconcile', job, () => this.reconcile.process()),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const handlers = this.handlers();
    this.queues.startWorkers(handlers, { concurrency: this.config.WORKER_CONCURRENCY, lockMs: this.config.JOB_LOCK_MS });
    // One schedule for all workers (upsert is idempotent), plus a pass right away after a (re)start.
    await this.queues.scheduleReconcile(this.config.RECONCILE_INTERVAL_MS);
    this.logger.log({ queues: Object.keys(handlers), concurrency: this.config.WORKER_CONCURRENCY }, 'queue workers started');
  }
}
