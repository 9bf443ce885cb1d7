import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Redis from 'ioredis';
import { assertKeyPrefix } from './project-event.publisher';

/** What a viewer ticket or session lets its holder do: see (and, unless view-only, operate) one project's desktop. */
export interface ViewerGrant {
  userId: string;
  projectId: string;
  viewOnly: boolean;
}

export interface ViewerSession extends ViewerGrant {
  /** The session's id as it appears in its paths (`/viewer/<id>/`). */
  id: string;
  createdAt: string;
}

export type TicketRedemption =
  | { ok: true; grant: ViewerGrant }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export type SessionCreation =
  | { ok: true; session: ViewerSession; secret: string }
  | { ok: false; reason: 'user_limit' | 'project_limit' };

export interface ViewerSessionStoreOptions {
  /** The deployment's REDIS_PREFIX; the client's keyPrefix must be `${redisPrefix}:`. */
  redisPrefix: string;
}

/** How long a redeemed or expired ticket is remembered, so a second use is told apart from a mistyped link. */
const TICKET_MEMORY_S = 600;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/**
 * Redis keys, relative to the client's keyPrefix. Tickets, session ids and session secrets appear only hashed:
 * whoever can read Redis cannot open a viewer.
 */
const keys = {
  ticket: (hash: string) => `viewer:ticket:${hash}`,
  usedTicket: (hash: string) => `viewer:ticket-used:${hash}`,
  session: (hash: string) => `viewer:session:${hash}`,
  /** Sorted sets of live session hashes (score = idle deadline, ms) per user and per project, for limits. */
  userSessions: (userId: string) => `viewer:user:${userId}`,
  projectSessions: (projectId: string) => `viewer:project:${projectId}`,
};

/**
 * KEYS: user set, project set, session key. ARGV: now ms, deadline ms, max per user, max per project, member,
 * session JSON, idle s. Returns 0 (created), 1 (user at limit) or 2 (project at limit). One script, so replicas
 * opening viewers at the same moment never pass a limit together.
 */
const CREATE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[7]) * 1000 + 60000)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[7]) * 1000 + 60000)
redis.call('SET', KEYS[3], ARGV[6], 'EX', ARGV[7])
return 0
`;
const CREATE_COMMAND = 'pantheonCreateViewerSession';

type StoreRedis = Redis & {
  [CREATE_COMMAND](userSet: string, projectSet: string, sessionKey: string, ...args: string[]): Promise<number>;
};

interface StoredSession extends ViewerSession {
  secretHash: string;
}

/**
 * Viewer tickets and sessions ("Connect"), shared by every API replica through Redis.
 * - A ticket is single-use (GETDEL) and short-lived; it is bound to a user and a project when issued.
 * - A session is reached at `/viewer/<id>/` with a secret cookie; it lives while used (each use pushes its
 *   idle deadline) and is counted against per-user and per-project limits.
 */
export class ViewerSessionStore {
  private readonly redis: StoreRedis;

  constructor(redis: Redis, options: ViewerSessionStoreOptions) {
    assertKeyPrefix(redis, options.redisPrefix);
    redis.defineCommand(CREATE_COMMAND, { numberOfKeys: 3, lua: CREATE_SCRIPT });
    this.redis = redis as StoreRedis;
  }

  /** A new ticket for `grant`, valid for `ttlSeconds`. The raw ticket is returned once and stored only hashed. */
  async issueTicket(grant: ViewerGrant, ttlSeconds: number): Promise<{ ticket: string; expiresAt: Date }> {
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const value = JSON.stringify({ userId: grant.userId, projectId: grant.projectId, viewOnly: grant.viewOnly, expiresAt: expiresAt.toISOString() });
    // Kept past its expiry so a late use reads "expired", not "unknown"; the stored expiry is what counts.
    await this.redis.set(keys.ticket(sha256(ticket)), value, 'EX', ttlSeconds + TICKET_MEMORY_S);
    return { ticket, expiresAt };
  }

  /** Uses a ticket up (atomically: of two concurrent redemptions only one succeeds). */
  async redeemTicket(ticket: string): Promise<TicketRedemption> {
    const hash = sha256(ticket);
    const raw = await this.redis.getdel(keys.ticket(hash));
    if (raw === null) {
      return { ok: false, reason: (await this.redis.exists(keys.usedTicket(hash))) ? 'used' : 'unknown' };
    }
    await this.redis.set(keys.usedTicket(hash), '1', 'EX', TICKET_MEMORY_S);
    const stored = JSON.parse(raw) as ViewerGrant & { expiresAt: string };
    if (Date.parse(stored.expiresAt) <= Date.now()) return { ok: false, reason: 'expired' };
    return { ok: true, grant: { userId: stored.userId, projectId: stored.projectId, viewOnly: stored.viewOnly } };
  }

  /** Opens a session for `grant` unless the user or the project is at its limit of open viewers. */
  async createSession(grant: ViewerGrant, opts: { idleSeconds: number; maxPerUser: number; maxPerProject: number }): Promise<SessionCreation> {
    const id = randomBytes(18).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const session: StoredSession = { ...grant, id, createdAt: new Date().toISOString(), secretHash: sha256(secret) };
    const now = Date.now();
    const result = await this.redis[CREATE_COMMAND](
      keys.userSessions(grant.userId),
      keys.projectSessions(grant.projectId),
      keys.session(sha256(id)),
      String(now),
      String(now + opts.idleSeconds * 1000),
      String(opts.maxPerUser),
      String(opts.maxPerProject),
      sha256(id),
      JSON.stringify(session),
      String(opts.idleSeconds),
    );
    if (result === 1) return { ok: false, reason: 'user_limit' };
    if (result === 2) return { ok: false, reason: 'project_limit' };
    const { secretHash: _hash, ...visible } = session;
    return { ok: true, session: visible, secret };
  }

  /** The live session `id` if `secret` is its own, else null (unknown, ended, idle too long, or wrong secret). */
  async authenticate(id: string, secret: string | undefined): Promise<ViewerSession | null> {
    if (!secret) return null;
    const raw = await this.redis.get(keys.session(sha256(id)));
    if (raw === null) return null;
    const { secretHash, ...session } = JSON.parse(raw) as StoredSession;
    const given = Buffer.from(sha256(secret), 'hex');
    const expected = Buffer.from(secretHash, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected) ? session : null;
  }

  /** Whether session `id` is still live (not ended, not idle past its deadline). */
  async isLive(id: string): Promise<boolean> {
    return (await this.redis.exists(keys.session(sha256(id)))) === 1;
  }

  /** Pushes the idle deadline of a live session; a no-op for an ended one. */
  async touch(session: ViewerGrant & { id: string }, idleSeconds: number): Promise<void> {
    const hash = sha256(session.id);
    const renewed = await this.redis.expire(keys.session(hash), idleSeconds);
    if (renewed !== 1) return;
    const deadline = Date.now() + idleSeconds * 1000;
    await this.redis
      .multi()
      .zadd(keys.userSessions(session.userId), 'XX', deadline, hash)
      .zadd(keys.projectSessions(session.projectId), 'XX', deadline, hash)
      .exec();
  }

  /** Ends one session. */
  async end(session: ViewerGrant & { id: string }): Promise<void> {
    const hash = sha256(session.id);
    await this.redis
      .multi()
      .del(keys.session(hash))
      .zrem(keys.userSessions(session.userId), hash)
      .zrem(keys.projectSessions(session.projectId), hash)
      .exec();
  }

  /** Ends every session of a project (it is being deleted or stopped); open WebSockets notice on their next check. */
  async endProject(userId: string, projectId: string): Promise<void> {
    const hashes = await this.redis.zrange(keys.projectSessions(projectId), '0', '-1');
    const multi = this.redis.multi();
    for (const hash of hashes) multi.del(keys.session(hash)).zrem(keys.userSessions(userId), hash);
    multi.del(keys.projectSessions(projectId));
    await multi.exec();
  }
}
