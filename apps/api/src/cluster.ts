import cluster, { Worker } from 'node:cluster';
import os from 'node:os';
import type { AppConfig } from '@pantheon/config';
import { MetricsServer } from '@pantheon/metrics';
import pino from 'pino';
import { AggregatorRegistry } from 'prom-client';

/** API_WORKERS as a process count: 0 means one per core. */
export function apiProcessCount(config: Pick<AppConfig, 'API_WORKERS'>): number {
  return config.API_WORKERS === 0 ? os.availableParallelism() : config.API_WORKERS;
}

// A worker that dies after it served is restarted after this pause (a crash loop does not spin the CPU).
const RESTART_DELAY_MS = 1000;
// Workers get this long to finish their requests after SIGTERM, then they are killed.
const STOP_GRACE_MS = 25_000;

/**
 * Runs `start` (which boots one API and listens on API_PORT) in this process, or, with API_WORKERS > 1, in that
 * many worker processes behind one port: node:cluster's primary accepts connections and hands them to the workers
 * in turn, so every core serves requests. The primary serves no request itself. It restarts a worker that dies
 * after it was listening, gives up (exit 1) when one fails to start (a configuration error would only loop),
 * passes SIGTERM/SIGINT on, and serves the workers' metrics, summed, on the one METRICS_PORT.
 *
 * Connections, not requests, are spread: a socket.io client keeps its one WebSocket on one worker (rooms are
 * shared through Redis), but HTTP long-polling would hop workers, so clustered APIs accept WebSocket only.
 */
export async function runApi(config: AppConfig, start: () => Promise<void>): Promise<void> {
  const count = apiProcessCount(config);
  if (count <= 1 || !cluster.isPrimary) return start();

  const log = pino({ level: config.LOG_LEVEL, base: { pid: process.pid, context: 'ApiCluster' } });
  const listening = new Set<number>();
  let stopping = false;
  const fork = (): Worker => cluster.fork();

  cluster.on('listening', (worker) => {
    listening.add(worker.id);
    if (listening.size === count) log.info({ workers: count, port: config.API_PORT }, 'api cluster listening');
  });
  cluster.on('exit', (worker, code, signal) => {
    const served = listening.delete(worker.id);
    if (stopping) {
      if (Object.values(cluster.workers ?? {}).every((w) => !w || w.isDead())) process.exit(process.exitCode ?? 0);
      return;
    }
    if (!served) {
      log.error({ worker: worker.process.pid, code, signal }, 'an api worker failed to start; stopping');
      stop(1);
      return;
    }
    log.error({ worker: worker.process.pid, code, signal }, 'an api worker died; starting another');
    setTimeout(fork, RESTART_DELAY_MS).unref();
  });

  const stop = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    process.exitCode = exitCode;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    if (workers.length === 0) process.exit(exitCode);
    for (const w of workers) w.process.kill('SIGTERM');
    setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(exitCode);
    }, STOP_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  const aggregate = new AggregatorRegistry();
  const metrics = new MetricsServer({ contentType: aggregate.contentType, scrape: () => aggregate.clusterMetrics() }, (message) =>
    log.error({ err: message }, 'metrics scrape failed'),
  );
  const address = await metrics.listen(config.METRICS_PORT, config.METRICS_HOST);
  log.info({ host: address.host, port: address.port }, 'metrics listening (all workers)');

  for (let i = 0; i < count; i++) fork();
}
