import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BearerAuth } from '../auth/bearer-auth';
import type { JsonLogger } from '../logging/json-logger';
import { errorBody, HttpError } from './http-error';
import type { JsonReply, Router } from './router';

/** Paths are echoed into logs and 404 messages; a longer one is cut. */
const MAX_LOGGED_PATH = 256;

/** The path without its query string, which is never logged (later tools may carry tokens there). */
function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
}

function sendJson(res: ServerResponse, reply: JsonReply, requestId: string): void {
  if (res.headersSent || res.destroyed) {
    // A streaming route failed mid-answer: cut the connection rather than leave the client waiting.
    if (!res.writableEnded) res.destroy();
    return;
  }
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-request-id': requestId,
  });
  res.end(payload);
}

/**
 * Routes one request and answers in JSON. Authentication comes before routing, so an unauthenticated caller
 * gets 401 for every path but `/live` and learns nothing about which routes exist. Logs exactly one line per
 * request (method, path, status, duration, request id), never headers or bodies. Unknown errors become a 500 whose details stay in
 * the log, keyed by the request id the client also receives.
 */
export async function handleRequest(
  router: Router,
  auth: BearerAuth,
  logger: JsonLogger,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const requestId = randomUUID();
  const method = req.method ?? 'GET';
  const path = pathOf(req.url);
  res.once('close', () => {
    logger.info(res.writableFinished ? 'request' : 'request aborted', {
      request_id: requestId,
      method,
      path,
      status: res.statusCode,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  });

  let reply: JsonReply;
  try {
    if (!auth.isPublic(path)) await auth.check(req);
    const route = router.find(method, path);
    if (route !== undefined && 'serve' in route) {
      // The route answers itself; an error before its first byte still gets the JSON error below.
      await route.serve(req, res);
      return;
    }
    reply = route
      ? await route.handle()
      : { status: 404, body: errorBody(404, `Cannot ${method} ${path}`) };
  } catch (error) {
    if (error instanceof HttpError) {
      reply = { status: error.status, body: errorBody(error.status, error.message) };
    } else {
      logger.error('unhandled error', {
        request_id: requestId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown',
      });
      reply = { status: 500, body: errorBody(500, 'Internal server error') };
    }
  }
  sendJson(res, reply, requestId);
}
