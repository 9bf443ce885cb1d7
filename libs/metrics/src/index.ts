export { Counter, Gauge, Histogram, LATENCY_BUCKETS, MetricsRegistry, MetricsRegistryOptions, SLOW_BUCKETS } from './metrics.registry';
export { MetricsAddress, MetricsServer, MetricsSource } from './metrics.server';
export { MetricsEndpoint, MetricsModule, MetricsModuleOptions, METRICS_OPTIONS } from './metrics.module';
export { PoolUsage, watchDbPool } from './db-pool.metrics';
