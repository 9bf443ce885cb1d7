import type { Route } from '../http/router';
import type { HealthService } from './health.service';

/**
 * `GET /health`: readiness of the whole project (200 ok / 503 degraded).
 * `GET /live`: liveness of this process alone, so a VM outage never gets the tools API restarted.
 */
export function healthRoutes(health: HealthService): Route[] {
  return [
    {
      method: 'GET',
      path: '/health',
      handle: async () => {
        const report = await health.check();
        return { status: report.status === 'ok' ? 200 : 503, body: report };
      },
    },
    { method: 'GET', path: '/live', handle: () => Promise.resolve({ status: 200, body: { status: 'ok' } }) },
  ];
}
