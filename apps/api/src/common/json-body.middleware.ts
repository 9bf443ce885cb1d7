import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { json } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * express.json with our own error messages: the parser's text can quote the body back to the caller, and
 * a client needs to know the limit it exceeded.
 */
export function jsonBodyMiddleware(limit: string): RequestHandler {
  const parse = json({ limit, strict: true });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const type = (err as { type?: string }).type;
      if (type === 'entity.too.large') return next(new PayloadTooLargeException(`Request body is too large (limit ${limit})`));
      if (type === 'entity.parse.failed') return next(new BadRequestException('Request body is not valid JSON'));
      if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
        return next(new UnsupportedMediaTypeException('Request body must be UTF-8 JSON'));
      }
      return next(new BadRequestException('Request body could not be read'));
    });
}
