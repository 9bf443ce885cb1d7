import { request } from 'node:http';

/** Why an upstream call produced no usable answer. */
export type UpstreamFailure = 'timeout' | 'unreachable' | 'too_large';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(readonly reason: UpstreamFailure) {
    super(`upstream ${reason}`);
  }
}

export interface UpstreamResponse {
  status: number;
  /** The parsed JSON body, or null when the body is empty or not JSON. */
  body: unknown;
}

/** The VM's answers are small status documents; anything larger is refused rather than buffered. */
export const MAX_UPSTREAM_BODY_BYTES = 64 * 1024;

/**
 * GET `url` and parse its JSON body. `timeoutMs` bounds the whole exchange (connect, headers and body),
 * so a hung VM costs a caller at most that long. No keep-alive agent: calls are rare and a pooled socket
 * to a VM that restarted would only fail the next call.
 * @throws UpstreamError
 */
export function getJson(url: URL, timeoutMs: number): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (reason: UpstreamFailure): void => {
      if (settled) return;
      settle(() => reject(new UpstreamError(reason)));
      req.destroy();
    };

    // Created first so `settle` never sees it uninitialised; it fires only after `req` exists.
    const timer = setTimeout(() => fail('timeout'), timeoutMs);
    const req = request(url, { method: 'GET', agent: false, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_UPSTREAM_BODY_BYTES) fail('too_large');
        else chunks.push(chunk);
      });
      res.on('end', () => {
        settle(() => resolve({ status: res.statusCode ?? 0, body: parseJson(Buffer.concat(chunks).toString('utf8')) }));
      });
      // A connection cut mid-body closes the response without 'end'.
      res.on('close', () => fail('unreachable'));
      res.on('error', () => fail('unreachable'));
    });
    req.on('error', () => fail('unreachable'));
    req.end();
  });
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** True for a JSON object (not an array or null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
