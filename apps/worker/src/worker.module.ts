import { DynamicModule, Inject, Injectable, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import { AppConfig, APP_CONFIG, ConfigModule } from '@pantheon/config';
import { KeyRing, REDACT_PATHS, toolsApiCredential } from '@pantheon/crypto';
import { createPrismaClient, dbPoolUsage } from '@pantheon/db';
import { JobQueueFactory, ProjectEventPublisher, REDIS, RedisModule, UserGenerations } from '@pantheon/events';
import { MetricsModule, MetricsRegistry, watchDbPool } from '@pantheon/metrics';
import { DockerRuntime } from '@pantheon/runtime';
import type Redis from 'ioredis';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { PrismaClient } from '@pantheon/prisma-client';
import { GatewayInvalidatingProjects } from './gateway-invalidating-projects';
import { DeprovisionProcessor } from './processors/deprovision.processor';
import { ProvisionProcessor } from './processors/provision.processor';
import { ReconcileProcessor } from './processors/reconcile.processor';
import { waitForToolsApi } from './provisioning/health';
import { QueueWorkersService } from './queue-workers.service';
import { WorkerMetrics } from './worker.metrics';
import { JOB_QUEUE, JOB_QUEUES, PROJECT_EVENTS, PROJECTS, RUNTIME, TOOLS_CREDENTIAL, TOOLS_READINESS } from './worker.tokens';

const WORKER_DB = Symbol('WORKER_DB');

/** Closes the connections the worker opened itself: queues first (running jobs still need the database). */
@Injectable()
class WorkerConnections implements OnModuleDestroy {
  constructor(
    @Inject(WORKER_DB) private readonly db: PrismaClient,
    @Inject(JOB_QUEUES) private readonly queues: JobQueueFactory,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.queues.close();
    await this.db.$disconnect();
  }
}

/** Scrape-time gauges over the worker's own connections: queue depth (Redis) and its database pool. */
const WORKER_GAUGES = Symbol('WORKER_GAUGES');

/**
 * The background worker: BullMQ processors for provision, deprovision and reconcile. No controllers and no
 * public port: only /metrics, on an internal listener (WORKER_METRICS_HOST:WORKER_METRICS_PORT). It reaches PostgreSQL only as pantheon_worker (the system path), Docker only through libs/runtime.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logStream?: DestinationStream): DynamicModule {
    if (!config.DATABASE_WORKER_URL) throw new Error('DATABASE_WORKER_URL is required by the worker');
    const pinoOptions = { level: config.LOG_LEVEL, redact: { paths: REDACT_PATHS, censor: '[Redacted]' } };
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: logStream ? [pinoOptions, logStream] : pinoOptions }),
        RedisModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({ url: c.REDIS_URL, keyPrefix: c.REDIS_PREFIX, connectionName: 'pantheon-worker' }),
        }),
        MetricsModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({ host: c.WORKER_METRICS_HOST, port: c.WORKER_METRICS_PORT }),
        }),
      ],
      providers: [
        { provide: RUNTIME, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new DockerRuntime({ socketPath: c.DOCKER_SOCKET }) },
        {
          provide: WORKER_DB,
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) =>
            createPrismaClient({ connectionString: c.DATABASE_WORKER_URL!, poolMax: c.WORKER_CONCURRENCY + 4, applicationName: 'pantheon-worker' }),
        },
        {
          provide: PROJECTS,
          inject: [WORKER_DB, REDIS, APP_CONFIG],
          // Writes that change what the API's gateway caches move the owner's generation on.
          useFactory: (db: PrismaClient, redis: Redis, c: AppConfig) =>
            new GatewayInvalidatingProjects(db, new UserGenerations(redis, { redisPrefix: c.REDIS_PREFIX })),
        },
        {
          provide: PROJECT_EVENTS,
          inject: [APP_CONFIG, REDIS],
          useFactory: (c: AppConfig, redis: Redis) =>
            new ProjectEventPublisher(redis, { redisPrefix: c.REDIS_PREFIX, streamMaxLen: c.EVENTS_STREAM_MAXLEN }),
        },
        {
          provide: JOB_QUEUES,
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => new JobQueueFactory({ redisUrl: c.REDIS_URL, redisPrefix: c.REDIS_PREFIX, connectionName: 'pantheon-worker' }),
        },
        { provide: JOB_QUEUE, inject: [JOB_QUEUES], useFactory: (queues: JobQueueFactory) => queues.projectQueue() },
        { provide: TOOLS_READINESS, useValue: waitForToolsApi },
        {
          provide: TOOLS_CREDENTIAL,
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => {
            // The worker writes and sends the tools API's credential, derived from the master key.
            if (!c.masterKeysSpec) throw new Error('PANTHEON_MASTER_KEYS (or PANTHEON_MASTER_KEYS_FILE) is required by the worker');
            const ring = KeyRing.parse(c.masterKeysSpec);
            return (projectId: string) => toolsApiCredential(ring, projectId);
          },
        },
        WorkerMetrics,
        {
          provide: WORKER_GAUGES,
          inject: [WorkerMetrics, MetricsRegistry, JOB_QUEUES, WORKER_DB],
          useFactory: (metrics: WorkerMetrics, registry: MetricsRegistry, queues: JobQueueFactory, db: PrismaClient) => {
            const logger = new Logger('Metrics');
            metrics.watchQueues(queues, (message) => logger.warn({ err: message }, 'queue depth not read'));
            watchDbPool(registry, 'worker', () => dbPoolUsage(db));
            return true;
          },
        },
        WorkerConnections,
        ProvisionProcessor,
        DeprovisionProcessor,
        ReconcileProcessor,
        QueueWorkersService,
      ],
    };
  }
}
