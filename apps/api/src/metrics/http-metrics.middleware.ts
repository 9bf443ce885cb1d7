import type { NextFunction, Request, Response } from 'express';
import type { ApiMetrics } from './api.metrics';
import { upstreamTimingOf } from './upstream-timing';

/** Label for requests no route matched: their raw paths would be unbounded (and may hold ids or junk). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route template that matched (`/api/projects/:id`), never the URL itself. Express keeps the matched route
 * on the request; nothing matched means a 404 from the framework's fallback.
 */
export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : UNMATCHED_ROUTE;
}

/**
 * Times every request from its arrival to the end of its response (streams included). Mounted first, before
 * guards and body parsing, so refusals (401, 413, 429) are counted too.
 */
export function httpMetricsMiddleware(metrics: ApiMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once('close', () => {
      const totalMs = performance.now() - started;
      const route = routeTemplate(req);
      const status = res.writableFinished ? String(res.statusCode) : '499';
      metrics.httpDuration.observe({ method: req.method, route, status }, totalMs / 1000);
      const timing = upstreamTimingOf(req);
      if (timing?.provider && timing.calls > 0) {
        metrics.gatewayAddedDuration.observe({ provider: timing.provider, route }, Math.max(0, totalMs - timing.upstreamMs) / 1000);
      }
    });
    next();
  };
}
