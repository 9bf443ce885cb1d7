/** Polls `url` until it answers 200 or `timeoutMs` passes; returns the last problem seen on timeout. */
export async function waitForHealthy(
  url: string,
  timeoutMs: number,
  opts: { intervalMs?: number; signal?: AbortSignal; isHealthy?: (body: unknown) => boolean } = {},
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + timeoutMs;
  let reason = 'no answer yet';
  while (Date.now() < deadline) {
    if (opts.signal?.aborted) return { ok: false, reason: 'aborted' };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(3000, Math.max(500, deadline - Date.now()))) });
      const body: unknown = await res.json().catch(() => null);
      if (res.status === 200 && (!opts.isHealthy || opts.isHealthy(body))) return { ok: true };
      reason = `HTTP ${res.status}`;
    } catch (err) {
      reason = (err as Error).name === 'TimeoutError' ? 'timed out' : 'not reachable';
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
  return { ok: false, reason };
}
