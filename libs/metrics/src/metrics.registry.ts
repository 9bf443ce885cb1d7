import cluster from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Counter, Gauge, Histogram };

/** Buckets in seconds for calls that take milliseconds to a minute (HTTP, LLM, job steps). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Buckets in seconds for work that takes seconds to minutes (provisioning, jobs). */
export const SLOW_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export interface MetricsRegistryOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC, handles); on unless a spec turns them off. */
  processMetrics?: boolean;
}

/**
 * One Prometheus registry per app instance (not prom-client's global one), so two API instances in one test
 * process do not collide. Label values must be bounded sets chosen by code: route templates, provider ids,
 * error codes — never ids, URLs, user input or secrets.
 */
export class MetricsRegistry {
  private readonly registry = new Registry();

  constructor(opts: MetricsRegistryOptions = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets = LATENCY_BUCKETS): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** A gauge; `collect` (when given) refreshes it at scrape time, e.g. from a pool or a queue. */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (gauge: Gauge<L>) => void | Promise<void>): Gauge<L> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect ? { collect(this: Gauge<L>) { return collect(this); } } : {}),
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text (runs every collect callback). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * In a cluster worker (API_WORKERS > 1): answer the primary's requests for this registry, so that its one
   * /metrics listener serves every worker's figures summed (prom-client's AggregatorRegistry).
   */
  shareWithClusterPrimary(): void {
    if (!cluster.isWorker) return;
    new AggregatorRegistry(); // installs the worker's IPC listener
    AggregatorRegistry.setRegistries([this.registry]);
  }
}
