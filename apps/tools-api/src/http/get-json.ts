import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

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

export interface JsonRequest {
  method: 'GET' | 'POST';
  /** Serialised as the JSON body (POST only). */
  body?: unknown;
  /** Extra request headers (the guest agent's bearer token); never logged. */
  headers?: Record<string, string>;
  /** Bounds the whole exchange: connect, headers and body. */
  timeoutMs: number;
  /** Default MAX_UPSTREAM_BODY_BYTES. */
  maxBytes?: number;
}

/**
 * GET `url` and parse its JSON body. `timeoutMs` bounds the whole exchange (connect, headers and body),
 * so a hung VM costs a caller at most that long. No keep-alive agent: calls are rare and a pooled socket
 * to a VM that restarted would only fail the next call.
 * @throws UpstreamError
 */
export function getJson(url: URL, timeoutMs: number): Promise<UpstreamResponse> {
  return requestJson(url, { method: 'GET', timeoutMs });
}

/**
 * One JSON exchange with the VM, bounded in time and size (a larger answer is refused, never buffered).
 * @throws UpstreamError
 */
export function requestJson(url: URL, options: JsonRequest): Promise<UpstreamResponse> {
  const maxBytes = options.maxBytes ?? MAX_UPSTREAM_BODY_BYTES;
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
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

    const headers: Record<string, string | number> = { accept: 'application/json', ...options.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    // Created first so `settle` never sees it uninitialised; it fires only after `req` exists.
    const timer = setTimeout(() => fail('timeout'), options.timeoutMs);
    // The VM is plain HTTP; the platform's gateway URL may be https.
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: options.method, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) fail('too_large');
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
    req.end(payload);
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
