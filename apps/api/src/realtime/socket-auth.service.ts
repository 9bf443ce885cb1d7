import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  AUTH_ATTEMPT_LIMITER,
  AUTH_OPTIONS,
  AuthError,
  AuthErrorCode,
  AuthModuleOptions,
  AuthUser,
  bearerToken,
  countAuthFailure,
  KeycloakTokenVerifier,
  rateLimited,
  UserUpsertService,
} from '@pantheon/auth';
import type { Socket } from 'socket.io';
import type { RedisAuthAttemptLimiter } from '../common/auth-attempts.limiter';

type Handshake = Socket['handshake'];

/** What an authenticated socket carries in `socket.data`. */
export interface SocketSession {
  user: AuthUser;
  /** Token expiry (epoch seconds): the socket is closed then, and the client reconnects with a fresh token. */
  expiresAt: number;
  /** The client's address (TRUST_PROXY applied), as audited. */
  ip: string;
}

/**
 * The handshake's access token: `auth.token` (browsers; a "Bearer " prefix is tolerated) or else an
 * `Authorization: Bearer` header (non-browser clients). Never the query string, which ends up in logs.
 */
export function handshakeToken(handshake: Pick<Handshake, 'auth' | 'headers'>): string {
  const given: unknown = handshake.auth?.token;
  if (given !== undefined) {
    if (typeof given !== 'string' || given.length === 0) {
      throw new AuthError(AuthErrorCode.INVALID_TOKEN, 'Invalid or expired token', 'auth.token is not a string');
    }
    return given.replace(/^Bearer\s+/i, '');
  }
  const fromHeader = bearerToken(handshake.headers.authorization);
  if (!fromHeader) throw new AuthError(AuthErrorCode.MISSING_TOKEN, 'Authentication required', 'no token in handshake');
  return fromHeader;
}

/**
 * Authenticates a socket.io handshake exactly as the HTTP guard authenticates a request. Per client address,
 * handshakes are limited in number (successful or not), and failed ones count against the same failure budget
 * as failed HTTP authentications.
 */
@Injectable()
export class SocketAuthService {
  constructor(
    private readonly verifier: KeycloakTokenVerifier,
    private readonly users: UserUpsertService,
    @Inject(AUTH_OPTIONS) private readonly options: AuthModuleOptions,
    @Optional() @Inject(AUTH_ATTEMPT_LIMITER) private readonly limiter?: RedisAuthAttemptLimiter,
  ) {}

  /**
   * `client` is the caller's address (TRUST_PROXY applied). Throws AuthError (missing/invalid token, missing
   * role, over a limit); other errors mean a dependency failed.
   */
  async authenticate(handshake: Pick<Handshake, 'auth' | 'headers'>, socketId: string, client: string): Promise<SocketSession> {
    const wait = (await this.limiter?.handshake(client)) ?? null;
    if (wait !== null) throw rateLimited(wait, 'over the handshake limit');
    let claims;
    try {
      claims = await this.verifier.verify(handshakeToken(handshake));
    } catch (err) {
      throw await countAuthFailure(this.limiter, client, err);
    }
    if (!claims.roles.includes(this.options.requiredRole)) {
      throw new AuthError(AuthErrorCode.FORBIDDEN, 'Forbidden', `subject ${claims.sub} lacks role ${this.options.requiredRole}`);
    }
    const user = await this.users.resolve(claims, { requestId: socketId, ip: client });
    return { user, expiresAt: claims.expiresAt, ip: client };
  }
}
