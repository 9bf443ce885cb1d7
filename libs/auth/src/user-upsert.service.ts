import { Inject, Injectable } from '@nestjs/common';
import { AuditLogRepository, DbService, isUniqueViolation, UserRepository } from '@pantheon/db';
import { LRUCache } from 'lru-cache';
import { AUTH_OPTIONS, AuthModuleOptions, AuthUser, VerifiedClaims } from './auth.types';

/** Without a session id in the token, a new "login" is counted after this much inactivity. */
const LOGIN_IDLE_MS = 60 * 60 * 1000;
const USER_CACHE_ENTRIES = 10_000;

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
  /**
   * Subjects seen lately, keyed by everything that would make resolveOnce write (profile claims, session): a
   * changed profile or a new session misses and goes to the database. Roles are never cached: they are
   * read from each token.
   */
  private readonly known: LRUCache<string, Omit<AuthUser, 'roles'>> | undefined;

  constructor(
    private readonly db: DbService,
    private readonly users: UserRepository,
    private readonly audit: AuditLogRepository,
    @Inject(AUTH_OPTIONS) options: AuthModuleOptions,
  ) {
    const ttl = options.userCacheTtlMs ?? 0;
    this.known = ttl > 0 ? new LRUCache({ max: USER_CACHE_ENTRIES, ttl }) : undefined;
  }

  async resolve(claims: VerifiedClaims, meta: RequestMeta = {}): Promise<AuthUser> {
    const cacheKey = JSON.stringify([claims.sub, claims.sessionId, claims.email, claims.name, claims.pictureUrl]);
    const hit = this.known?.get(cacheKey);
    if (hit) return { ...hit, roles: claims.roles };
    let user: AuthUser;
    try {
      user = await this.resolveOnce(claims, meta);
    } catch (err) {
      // Two first requests of one subject may race on the unique subject; the loser simply re-reads.
      if (!isUniqueViolation(err)) throw err;
      user = await this.resolveOnce(claims, meta);
    }
    const { roles: _roles, ...cached } = user;
    this.known?.set(cacheKey, cached);
    return user;
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
