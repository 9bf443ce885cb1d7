export type ReadinessResult = { ok: true } | { ok: false; reason: string };

const POLL_INTERVAL_MS = 500;

/**
 * Polls a tools API's health URL (authenticated with the project's tools credential) until it answers 200 with `status: "ok"` (its VM's viewer and guest agent
 * are up) or `timeoutMs` passes; returns the last problem seen on timeout.
 */
export async function waitForToolsApi(url: string, timeoutMs: number, credential: string): Promise<ReadinessResult> {
  const deadline = Date.now() + timeoutMs;
  let reason = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${credential}` },
        signal: AbortSignal.timeout(Math.min(3000, Math.max(500, deadline - Date.now()))),
      });
      const body = (await res.json().catch(() => null)) as { status?: string } | null;
      if (res.status === 200 && body?.status === 'ok') return { ok: true };
      reason = `HTTP ${res.status}`;
    } catch (err) {
      reason = (err as Error).name === 'TimeoutError' ? 'timed out' : 'not reachable';
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  return { ok: false, reason };
}
