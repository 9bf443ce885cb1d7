import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { RequestMeta } from '@pantheon/auth';

/** Request id and client IP, for audit entries. */
export const ReqMeta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta => {
  const req = ctx.switchToHttp().getRequest<{ id?: string | number; ip?: string }>();
  return { requestId: req.id === undefined ? null : String(req.id), ip: req.ip ?? null };
});
