import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import cluster from 'node:cluster';
import { MetricsRegistry } from './metrics.registry';
import { MetricsAddress, MetricsServer } from './metrics.server';

export const METRICS_OPTIONS = Symbol('METRICS_OPTIONS');

export interface MetricsModuleOptions {
  /** Internal address of the /metrics listener (never the public interface). */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
}

/** Serves the app's registry on its internal port from boot until shutdown. */
@Injectable()
export class MetricsEndpoint implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Metrics');
  private readonly server: MetricsServer;

  constructor(
    @Inject(METRICS_OPTIONS) private readonly options: MetricsModuleOptions,
    private readonly registry: MetricsRegistry,
  ) {
    this.server = new MetricsServer(registry, (message) => this.logger.error({ err: message }, 'metrics scrape failed'));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (cluster.isWorker) {
      // One listener per API: the cluster primary serves every worker's figures on METRICS_PORT.
      this.registry.shareWithClusterPrimary();
      return;
    }
    const address = await this.server.listen(this.options.port, this.options.host);
    this.logger.log({ host: address.host, port: address.port }, 'metrics listening');
  }

  address(): MetricsAddress | null {
    return this.server.address();
  }

  onModuleDestroy(): Promise<void> {
    return this.server.close();
  }
}

/** The app's metrics registry (injectable everywhere) and its internal /metrics listener. */
@Global()
@Module({})
export class MetricsModule {
  static forRootAsync(opts: { useFactory: (...args: any[]) => MetricsModuleOptions; inject?: any[] }): DynamicModule {
    return {
      module: MetricsModule,
      providers: [
        { provide: METRICS_OPTIONS, useFactory: opts.useFactory, inject: opts.inject ?? [] },
        { provide: MetricsRegistry, useFactory: () => new MetricsRegistry() },
        MetricsEndpoint,
      ],
      exports: [MetricsRegistry, MetricsEndpoint],
    };
  }
}
