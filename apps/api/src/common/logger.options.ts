import type { AppConfig } from '@pantheon/config';
import { REDACT_PATHS } from '@pantheon/crypto';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import pino, { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import { LogSampler, SAMPLED_LINES_PER_MINUTE } from './log-sampler';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Honour a well-formed caller-supplied X-Request-Id (for tracing across services), else mint one. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** Viewer links and session paths are credentials: the ticket and the session id never reach a log line. */
export function loggedPath(url: string): string {
  const path = url.split('?')[0];
  if (!path.startsWith('/viewer/')) return path;
  return path.replace(/^\/viewer\/t\/[^/]*/, '/viewer/t/[ticket]').replace(/^\/viewer\/(?!t\/)[^/]+/, '/viewer/[session]');
}

/**
 * Standard output, written in the background: a line per request would otherwise be one blocking write(2) per
 * request on the event loop. Lines are batched up to 4 KB and flushed at least every 250 ms, and on exit (pino
 * flushes its destinations synchronously then), so a crash still leaves its last lines.
 */
export function stdoutLogStream(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 });
}

// Responses a client can produce at will, by the thousand (bad tokens, floods past a limit): sampled.
const SAMPLED_STATUSES = new Set([401, 429]);

/**
 * pino-http options: JSON lines, request ids, and redaction of authorization headers, keys and tokens.
 * Requests are logged by method, path and status only: never headers or bodies, which may carry secrets.
 * 401 and 429 lines are sampled (a bad-token flood writes a bounded number of lines plus a count).
 */
export function httpLoggerOptions(config: AppConfig): Options {
  const logger = new Logger('HttpLog');
  const sampler = new LogSampler(SAMPLED_LINES_PER_MINUTE, 60_000, (kind, suppressed, sinceMs) =>
    logger.warn({ kind, suppressed, sinceMs }, 'request log lines held back'),
  );
  return {
    level: config.LOG_LEVEL,
    genReqId: requestId,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    customProps: (req) => {
      const user = (req as IncomingMessage & { user?: { id: string } }).user;
      return user ? { userId: user.id } : {};
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        path: loggedPath(req.url),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (SAMPLED_STATUSES.has(res.statusCode) && !sampler.admit(`http ${res.statusCode}`)) return 'silent';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
    quietReqLogger: true,
  };
}
