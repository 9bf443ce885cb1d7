import { Injectable } from '@nestjs/common';
import type { JobQueueFactory, QueueJob, QueueName } from '@pantheon/events';
import { JOB_COUNT_STATES } from '@pantheon/events';
import { IpamError } from '@pantheon/ipam';
import { Counter, Histogram, MetricsRegistry, SLOW_BUCKETS } from '@pantheon/metrics';
import { RuntimeError } from '@pantheon/runtime';
import { ProvisionFailure } from './provisioning/failure-reason';

/** A short, bounded code for a failure (label value): the runtime's error code, never its message. */
export function failureCode(err: unknown): string {
  if (err instanceof RuntimeError) return err.code;
  if (err instanceof ProvisionFailure) return 'PROVISION_FAILURE';
  if (err instanceof IpamError) return 'IPAM';
  return 'INTERNAL';
}

// Handlers return a word saying how the job ended ('running', 'cancelled', 'deleted'); anything else (a report
// object) is plain 'completed'. Kept to words so that a label never carries data.
const OUTCOME_WORD = /^[a-z][a-z-]{0,31}$/;

/** The worker's metric families. Labels are steps, queues, outcomes and error codes: never ids. */
@Injectable()
export class WorkerMetrics {
  private readonly stepDuration: Histogram<'step' | 'outcome'>;
  private readonly stepFailures: Counter<'step' | 'code'>;
  private readonly jobDuration: Histogram<'queue' | 'outcome'>;
  private readonly jobs: Counter<'queue' | 'outcome'>;

  constructor(private readonly registry: MetricsRegistry) {
    this.stepDuration = registry.histogram(
      'pantheon_provision_step_duration_seconds',
      'Duration of each provisioning step (network, share, vm, tools, ready) by outcome (ok, error)',
      ['step', 'outcome'],
      SLOW_BUCKETS,
    );
    this.stepFailures = registry.counter('pantheon_provision_step_failures_total', 'Provisioning step failures by step and error code', ['step', 'code']);
    this.jobDuration = registry.histogram(
      'pantheon_job_duration_seconds',
      'Duration of a job run (one attempt) by queue and outcome; for provision, the whole build attempt',
      ['queue', 'outcome'],
      SLOW_BUCKETS,
    );
    this.jobs = registry.counter(
      'pantheon_jobs_total',
      "Job runs by queue and outcome: the handler's result (running, cancelled, deleted, failed, ...), completed, retry (failed, will run again) or failed",
      ['queue', 'outcome'],
    );
  }

  /** Runs one provisioning step, timing it and counting its failure by code. */
  async timeStep<T>(step: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      this.stepDuration.observe({ step, outcome: 'ok' }, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      this.stepDuration.observe({ step, outcome: 'error' }, (performance.now() - started) / 1000);
      this.stepFailures.inc({ step, code: failureCode(err) });
      throw err;
    }
  }

  /** Runs a job's handler, counting and timing how it ended. */
  async timeJob<T>(queue: QueueName, job: QueueJob<unknown>, handler: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome = 'completed';
    try {
      const result = await handler();
      if (typeof result === 'string' && OUTCOME_WORD.test(result)) outcome = result;
      return result;
    } catch (err) {
      outcome = job.lastAttempt ? 'failed' : 'retry';
      throw err;
    } finally {
      this.jobs.inc({ queue, outcome });
      this.jobDuration.observe({ queue, outcome }, (performance.now() - started) / 1000);
    }
  }

  /** Queue depth per queue and state, read from Redis at scrape time (a failed read leaves the gauge empty). */
  watchQueues(queues: Pick<JobQueueFactory, 'jobCounts'>, onError: (message: string) => void): void {
    this.registry.gauge('pantheon_queue_jobs', `Jobs per queue and state (${JOB_COUNT_STATES.join(', ')}), read at scrape time`, ['queue', 'state'], async (gauge) => {
      gauge.reset();
      try {
        const counts = await queues.jobCounts();
        for (const [queue, states] of Object.entries(counts)) {
          for (const [state, n] of Object.entries(states)) gauge.set({ queue, state }, n);
        }
      } catch (err) {
        onError((err as Error).message);
      }
    });
  }
}
