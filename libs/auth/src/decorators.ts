import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { AuthUser } from './auth.types';

export const IS_PUBLIC = 'pantheon:isPublic';
export const REQUIRED_ROLES = 'pantheon:roles';

export const ALTERNATE_BEARER_PREFIX = 'pantheon:alternateBearerPrefix';

/**
 * A bearer token starting with `prefix` is not a Keycloak token: the global guard lets it through unverified
 * and the route's own guard MUST authenticate it (e.g. project tokens on the MCP relay). Any other bearer is
 * verified as usual and sets the user.
 */
export const AlternateBearer = (prefix: string): MethodDecorator & ClassDecorator => SetMetadata(ALTERNATE_BEARER_PREFIX, prefix);

/** Opts a route (or controller) out of authentication. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** Realm roles the caller must hold in addition to the platform's required role. */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLES, roles);

/** The verified caller. Only valid on authenticated routes. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  const req = ctx.switchToHttp().getRequest<{ user?: AuthUser }>();
  if (!req.user) throw new Error('CurrentUser used on a route without authentication');
  return req.user;
});
