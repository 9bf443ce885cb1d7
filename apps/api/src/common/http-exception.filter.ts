import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { LlmProxyExceptionFilter } from '../llm-proxy/llm-proxy-exception.filter';
import { mapError } from './error-map';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** The rule that refused the request (e.g. `PLATFORM_AT_CAPACITY`), when a service rule did. */
  code?: string;
  /** Individual validation problems, when there are several. */
  details?: string[];
  request_id?: string;
}

/**
 * One place where every error becomes `{statusCode, error, message, request_id}`. Unknown errors become a
 * 500 with a generic message; their details (stack, SQL) go to the log only, keyed by the request id.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');
  /** Errors raised before the gateway's controller (body parsing, limits) still answer in the client's format. */
  private readonly gateway = new LlmProxyExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<{ id?: string | number; method?: string; url?: string; user?: { id: string } }>();
    if (/^\/v1(\/|\?|$)/.test(req?.url ?? '')) return this.gateway.catch(exception, host);
    const res = ctx.getResponse<{ headersSent: boolean; setHeader(name: string, value: string): void; status(code: number): { json(body: unknown): void } }>();
    const mapped = mapError(exception);
    const requestId = req?.id === undefined ? undefined : String(req.id);
    if (mapped.log) {
      const e = mapped.log as Error;
      this.logger.error(
        { err: { type: e?.name, message: e?.message, stack: e?.stack, code: (e as { code?: unknown })?.code }, requestId, userId: req?.user?.id },
        `unhandled error on ${req?.method} ${req?.url?.split('?')[0]}`,
      );
    }
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(mapped.headers ?? {})) res.setHeader(name, value);
    const body: ErrorBody = {
      statusCode: mapped.status,
      error: STATUS_CODES[mapped.status] ?? 'Error',
      message: mapped.message,
      ...(mapped.code ? { code: mapped.code } : {}),
      ...(mapped.details && mapped.details.length > 1 ? { details: mapped.details } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    };
    res.status(mapped.status).json(body);
  }
}
