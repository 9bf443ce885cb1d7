import { Injectable } from '@nestjs/common';
import { AuditLogRepository, DbService, isUniqueViolation, UserRepository } from '@pantheon/db';
import { AuthUser, VerifiedClaims } from './auth.types';

/** Without a session id in the token, a new "login" is counted after this much inactivity. */
const LOGIN_IDLE_MS = 60 * 60 * 1000;

export interface RequestMeta {
  requestId?: string | null;
  ip?: string | null;
}

/**
 * Maps a verified token to our user row: first request of a new subject creates it (email, name, picture
 * from the token), later requests refresh a changed profile. A new Keycloak session is audited as a login.
 */
@Injectable()
export class UserUpsertService {
  constructor(
    private readonly db: DbService,
    private readonly users: UserRepository,
    private readonly audit: AuditLogRepository,
  ) {}

  async resolve(claims: VerifiedClaims, meta: RequestMeta = {}): Promise<AuthUser> {
    try {
      return await this.resolveOnce(claims, meta);
    } catch (err) {
      // Two first requests of one subject may race on the unique subject; the loser simply re-reads.
      if (isUniqueViolation(err)) return this.resolveOnce(claims, meta);
      throw err;
    }
  }

  private resolveOnce(claims: VerifiedClaims, meta: RequestMeta): Promise<AuthUser> {
    return this.db.withAuthSubject(claims.sub, async (tx) => {
      const profile = { email: claims.email, name: claims.name, pictureUrl: claims.pictureUrl };
      let user = await this.users.findBySub(tx, claims.sub);
      const created = !user;
      if (
        !user ||
        user.email !== profile.email ||
        user.name !== profile.name ||
        user.pictureUrl !== profile.pictureUrl
      ) {
        user = await this.users.upsert(tx, claims.sub, profile);
      }
      const isNewLogin = claims.sessionId
        ? user.lastSessionId !== claims.sessionId
        : !user.lastLoginAt || Date.now() - user.lastLoginAt.getTime() > LOGIN_IDLE_MS;
      if (isNewLogin) {
        await this.db.enterUserScope(tx, user.id);
        user = await this.users.recordLogin(tx, user.id, claims.sessionId);
        await this.audit.append(tx, {
          userId: user.id,
          action: created ? 'user.created' : 'user.login',
          targetType: 'user',
          targetId: user.id,
          metadata: { azp: claims.azp },
          requestId: meta.requestId ?? null,
          ip: meta.ip ?? null,
        });
      }
      return {
        id: user.id,
        sub: claims.sub,
        email: user.email,
        name: user.name,
        pictureUrl: user.pictureUrl,
        roles: claims.roles,
        sessionId: claims.sessionId,
      };
    });
  }
}
