import type { MetricsRegistry } from './metrics.registry';

/** What node-postgres's Pool reports about itself. */
export interface PoolUsage {
  /** Connections open (idle + in use). */
  total: number;
  idle: number;
  /** Queries waiting for a free connection: above zero means the pool is too small or connections leak. */
  waiting: number;
  max: number;
}

const POOL_GAUGES: Record<keyof PoolUsage, [string, string]> = {
  total: ['pantheon_db_pool_connections', 'Open connections of the database pool (idle and in use)'],
  idle: ['pantheon_db_pool_idle_connections', 'Idle connections of the database pool'],
  waiting: ['pantheon_db_pool_waiting_requests', 'Queries waiting for a free database connection'],
  max: ['pantheon_db_pool_max_connections', 'Configured size of the database pool'],
};

/** Gauges of a database pool, read at scrape time (cheap: the pool's own counters); `pool` names it. */
export function watchDbPool(registry: MetricsRegistry, pool: string, read: () => PoolUsage): void {
  for (const [key, [name, help]] of Object.entries(POOL_GAUGES) as [keyof PoolUsage, [string, string]][]) {
    registry.gauge(name, help, ['pool'], (gauge) => void gauge.set({ pool }, read()[key]));
  }
}
