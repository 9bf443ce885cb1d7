import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

export const MAX_BODY_DEPTH = 8;
export const MAX_BODY_NODES = 2000;
/** Elements a gateway body may hold (a long agent conversation); bounds the walk, the byte limit bounds the rest. */
export const GATEWAY_MAX_BODY_NODES = 1_000_000;

/** Walks a parsed JSON value iteratively (no recursion: a hostile body cannot blow the stack). */
export function checkShape(value: unknown, maxDepth = MAX_BODY_DEPTH, maxNodes = MAX_BODY_NODES): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (++nodes > maxNodes) return `Request body has too many elements (max ${maxNodes})`;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return `Request body is nested too deeply (max depth ${maxDepth})`;
    for (const child of Object.values(node as object)) stack.push([child, depth + 1]);
  }
  return null;
}

/** Rejects pathological JSON bodies before validation and DTO transformation see them. */
export function bodyShapeMiddleware(limits: { maxDepth?: number; maxNodes?: number } = {}) {
  return (req: Request, res: Response, next: NextFunction): void => checkBody(req, res, next, limits.maxDepth ?? MAX_BODY_DEPTH, limits.maxNodes ?? MAX_BODY_NODES);
}

function checkBody(req: Request, _res: Response, next: NextFunction, maxDepth: number, maxNodes: number): void {
  // A body the JSON parser skipped (text/plain, a form) would reach validation as {}, and a PUT would then reset.
  const unparsed = req.body === undefined && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
  if (unparsed) return next(new UnsupportedMediaTypeException('Request body must be application/json'));
  const problem = req.body === undefined ? null : checkShape(req.body, maxDepth, maxNodes);
  next(problem ? new BadRequestException(problem) : undefined);
}
