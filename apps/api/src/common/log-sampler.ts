/**
 * Bounds log lines a client can cause: per kind (a small fixed set, such as "http 401"), the first `perInterval`
 * events of an interval are logged, the rest only counted, and the count is reported once by the first event
 * of a later interval. Per process on purpose: it bounds what this process writes.
 */
export class LogSampler {
  private readonly windows = new Map<string, { start: number; seen: number }>();

  constructor(
    private readonly perInterval: number,
    private readonly intervalMs: number,
    private readonly report: (kind: string, suppressed: number, sinceMs: number) => void,
  ) {}

  /** Counts one event of `kind`; true when it should be logged. */
  admit(kind: string, now = Date.now()): boolean {
    let window = this.windows.get(kind);
    if (!window || now - window.start >= this.intervalMs) {
      if (window && window.seen > this.perInterval) this.report(kind, window.seen - this.perInterval, now - window.start);
      window = { start: now, seen: 0 };
      this.windows.set(kind, window);
    }
    window.seen += 1;
    return window.seen <= this.perInterval;
  }
}

/** Lines per kind and minute that failed authentications, rate-limited requests and refused sockets may write. */
export const SAMPLED_LINES_PER_MINUTE = 20;
