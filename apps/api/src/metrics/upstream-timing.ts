/**
 * Time one HTTP request spent waiting on providers, summed over its calls. The HTTP metrics middleware
 * subtracts it from the request's total to get the gateway's own added latency.
 */
export interface UpstreamTiming {
  provider: string | null;
  calls: number;
  upstreamMs: number;
}

// Keyed by the request object, so nothing is added to Express's types and it goes away with the request.
const timings = new WeakMap<object, UpstreamTiming>();

/** The request's timing, created on first use (by a handler that makes provider calls). */
export function upstreamTimingFor(req: object): UpstreamTiming {
  let timing = timings.get(req);
  if (!timing) timings.set(req, (timing = { provider: null, calls: 0, upstreamMs: 0 }));
  return timing;
}

/** The request's timing if a handler asked for one. */
export function upstreamTimingOf(req: object): UpstreamTiming | undefined {
  return timings.get(req);
}
