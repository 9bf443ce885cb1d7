import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { mapError } from '../common/error-map';

/** Anthropic's error `type` for an HTTP status. */
export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 402) return 'billing_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return status === 529 ? 'overloaded_error' : 'api_error';
  return 'invalid_request_error';
}

/** OpenAI's error `type` for an HTTP status. */
function openAIType(status: number): string {
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * Errors on the LLM proxy speak the wire format the client expects (so the official SDKs raise their usual
 * error classes): Anthropic's shape on /v1/messages, OpenAI's elsewhere. Messages are the same safe ones the
 * rest of the API uses; a stream already under way is ended by the service with an in-band error instead.
 */
@Catch()
export class LlmProxyExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('LlmProxyExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request & { id?: string }>();
    const res = host.switchToHttp().getResponse<Response>();
    const mapped = mapError(exception);
    if (mapped.log) {
      const e = mapped.log as Error;
      this.logger.error({ err: { type: e?.name, message: e?.message, stack: e?.stack }, requestId: req.id }, 'gateway error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    const status = mapped.status === 499 ? HttpStatus.BAD_REQUEST : mapped.status;
    for (const [name, value] of Object.entries(mapped.headers ?? {})) res.setHeader(name, value);
    if (req.path.startsWith('/v1/messages')) {
      res.status(status).json({ type: 'error', error: { type: anthropicErrorType(status), message: mapped.message } });
    } else {
      res.status(status).json({ error: { message: mapped.message, type: openAIType(status), code: status } });
    }
  }
}
