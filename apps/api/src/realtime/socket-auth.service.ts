import { Inject, Injectable } from '@nestjs/common';
import {
  AUTH_OPTIONS,
  AuthError,
  AuthErrorCode,
  AuthModuleOptions,
  AuthUser,
  bearerToken,
  KeycloakTokenVerifier,
  UserUpsertService,
} from '@pantheon/auth';
import type { Socket } from 'socket.io';

type Handshake = Socket['handshake'];

/** What an authenticated socket carries in `socket.data`. */
export interface SocketSession {
  user: AuthUser;
  /** Token expiry (epoch seconds): the socket is closed then, and the client reconnects with a fresh token. */
  expiresAt: number;
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

/** Authenticates a socket.io handshake exactly as the HTTP guard authenticates a request. */
@Injectable()
export class SocketAuthService {
  constructor(
    private readonly verifier: KeycloakTokenVerifier,
    private readonly users: UserUpsertService,
    @Inject(AUTH_OPTIONS) private readonly options: AuthModuleOptions,
  ) {}

  /** Throws AuthError (missing/invalid token, missing role); other errors mean a dependency failed. */
  async authenticate(handshake: Pick<Handshake, 'auth' | 'headers' | 'address'>, socketId: string): Promise<SocketSession> {
    const claims = await this.verifier.verify(handshakeToken(handshake));
    if (!claims.roles.includes(this.options.requiredRole)) {
      throw new AuthError(AuthErrorCode.FORBIDDEN, 'Forbidden', `subject ${claims.sub} lacks role ${this.options.requiredRole}`);
    }
    const user = await this.users.resolve(claims, { requestId: socketId, ip: handshake.address });
    return { user, expiresAt: claims.expiresAt };
  }
}
