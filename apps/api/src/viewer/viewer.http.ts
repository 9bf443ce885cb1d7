import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { DomainError, DomainErrorCode } from '../common/domain.error';

/** The session cookie: its secret, sent only under the session's own path. */
export const VIEWER_COOKIE = 'pantheon_viewer';

/** Request headers passed to the VM's viewer; nothing else (no cookie, no authorization) leaves the API. */
const FORWARDED_REQUEST_HEADERS = ['accept', 'accept-language', 'if-none-match', 'if-modified-since', 'range'] as const;
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'content-length', 'cache-control', 'etag', 'last-modified', 'content-range', 'accept-ranges'] as const;

/**
 * noVNC's page is relayed from the VM and carries one inline module script; everything else comes from the same
 * origin (its files, its WebSocket). Not embeddable, no plugins, no form posts.
 */
export const VIEWER_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "media-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

export function viewerCookie(sessionId: string, secret: string, secure: boolean): string {
  return `${VIEWER_COOKIE}=${secret}; Path=/viewer/${sessionId}/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The session secret from a Cookie header (the browser sends only the cookie of the path it requests). */
export function viewerSecret(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === VIEWER_COOKIE) return value.join('=');
  }
  return undefined;
}

/** The VM-relative part of a request under `/viewer/<id>/` (path and query, still URL-encoded). */
export function viewerUpstreamUrl(upstream: string, sessionId: string, originalUrl: string): URL {
  const prefix = `/viewer/${sessionId}/`;
  if (!originalUrl.startsWith(prefix)) throw DomainError.notFound('Viewer file');
  const rest = originalUrl.slice(prefix.length).replace(/^\/+/, '');
  const base = new URL(`${upstream}/`);
  const url = new URL(rest, base);
  // A path can never leave the VM's viewer (no scheme-relative or absolute trick reaches another host).
  if (url.origin !== base.origin) throw DomainError.notFound('Viewer file');
  return url;
}

/** Streams one GET of the VM's viewer (noVNC's files) back to the browser. */
export async function relayViewerAsset(upstream: string, sessionId: string, req: Request, res: Response): Promise<void> {
  const url = viewerUpstreamUrl(upstream, sessionId, req.originalUrl);
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let response: globalThis.Response;
  try {
    response = await fetch(url, { method: 'GET', headers, redirect: 'manual', signal: AbortSignal.any([abort.signal, AbortSignal.timeout(30_000)]) });
  } catch {
    throw new DomainError(DomainErrorCode.DEPENDENCY_UNAVAILABLE, "The project's viewer did not answer");
  }
  res.status(response.status >= 300 && response.status < 400 && response.status !== 304 ? 502 : response.status);
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) res.setHeader(name, value);
  }
  res.setHeader('content-security-policy', VIEWER_CSP);
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-content-type-options', 'nosniff');
  if (!response.body || req.method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as never);
  body.on('error', () => res.destroy());
  body.pipe(res);
}
