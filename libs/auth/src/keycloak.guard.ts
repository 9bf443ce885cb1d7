import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_ATTEMPT_LIMITER, AuthAttemptLimiter } from './auth-attempts';
import { AuthError, AuthErrorCode, rateLimited } from './auth.errors';
import { AUTH_OPTIONS, AuthModuleOptions, AuthUser } from './auth.types';
import { ALTERNATE_BEARER_PREFIX, IS_PUBLIC, REQUIRED_ROLES } from './decorators';
import { KeycloakTokenVerifier } from './keycloak-token.verifier';
import { UserUpsertService } from './user-upsert.service';

interface HttpRequestLike {
  headers: Record<string, string | string[] | undefined>;
  id?: string | number;
  ip?: string;
  user?: AuthUser;
}

/** Extracts a bearer token; undefined when the header is absent, AuthError when it is malformed. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer ([^\s]+)$/i.exec(value?.trim() ?? '');
  if (!match) throw new AuthError(AuthErrorCode.INVALID_TOKEN, 'Malformed Authorization header; expected "Bearer <token>"');
  return match[1];
}

/**
 * Counts `err` against `client` when it is a failed authentication (not a missing role: that caller did
 * authenticate) and returns what to throw: the 429 once the client is over its budget, else `err` itself.
 */
export async function countAuthFailure(limiter: AuthAttemptLimiter | undefined, client: string | undefined, err: unknown): Promise<unknown> {
  if (!limiter || !(err instanceof AuthError)) return err;
  if (err.code !== AuthErrorCode.MISSING_TOKEN && err.code !== AuthErrorCode.INVALID_TOKEN) return err;
  const wait = await limiter.failure(client ?? 'unknown');
  return wait === null ? err : rateLimited(wait, `over the failure limit after: ${err.reason ?? err.message}`);
}

/**
 * Global guard: every route needs a valid Keycloak bearer token unless marked @Public(); the caller must hold
 * the platform's required realm role plus any @Roles() of the route (403 otherwise). Failed authentications are
 * counted per client address (shared by replicas); past the limit they are answered 429 with Retry-After. Valid
 * tokens are never refused for it, so one bad client behind a shared address cannot lock the others out.
 */
@Injectable()
export class KeycloakAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: KeycloakTokenVerifier,
    private readonly users: UserUpsertService,
    @Inject(AUTH_OPTIONS) private readonly options: AuthModuleOptions,
    @Optional() @Inject(AUTH_ATTEMPT_LIMITER) private readonly limiter?: AuthAttemptLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    if (context.getType() !== 'http') return false;

    const req = context.switchToHttp().getRequest<HttpRequestLike>();
    const alternate = this.reflector.getAllAndOverride<string | undefined>(ALTERNATE_BEARER_PREFIX, targets);
    if (alternate && /^Bearer\s+/i.test(String(req.headers.authorization ?? '')) && String(req.headers.authorization).replace(/^Bearer\s+/i, '').startsWith(alternate)) {
      // Not ours to verify: the route's own guard authenticates this kind of token (see @AlternateBearer).
      return true;
    }
    let claims;
    try {
      const raw = bearerToken(req.headers.authorization);
      if (!raw) throw new AuthError(AuthErrorCode.MISSING_TOKEN, 'Authentication required: send Authorization: Bearer <token>');
      claims = await this.verifier.verify(raw);
    } catch (err) {
      throw await countAuthFailure(this.limiter, req.ip, err);
    }

    const needed = [this.options.requiredRole, ...(this.reflector.getAllAndOverride<string[]>(REQUIRED_ROLES, targets) ?? [])];
    const missing = needed.filter((r) => !claims.roles.includes(r));
    if (missing.length > 0) {
      throw new AuthError(AuthErrorCode.FORBIDDEN, `Missing required role: ${missing.join(', ')}`);
    }
    req.user = await this.users.resolve(claims, {
      requestId: req.id === undefined ? null : String(req.id),
      ip: req.ip ?? null,
    });
    return true;
  }
}
