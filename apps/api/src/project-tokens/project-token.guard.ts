import { CanActivate, ExecutionContext, ForbiddenException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { hashProjectToken, looksLikeProjectToken } from '@pantheon/crypto';
import { DbService, ProjectRepository, ProjectTokenRepository } from '@pantheon/db';
import { BoundedMap, CachedProjectToken, GatewayCache } from '../gateway-cache/gateway-cache';

/** The caller of a gateway route: a project's tools API or VM, acting for the project's owner. */
export interface ProjectPrincipal {
  userId: string;
  projectId: string;
  tokenId: string;
  /**
   * The owner's cache generation read for this request (GatewayCache), so what the request looks up next is
   * checked against the same one; null: nothing may be served from the cache.
   */
  generation: string | null;
}

interface GatewayRequest {
  headers: Record<string, string | string[] | undefined>;
  projectPrincipal?: ProjectPrincipal;
}

function header(req: GatewayRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The token from `Authorization: Bearer` (OpenAI clients) or `x-api-key` (Anthropic clients). */
export function presentedToken(req: GatewayRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
  return bearer ?? header(req, 'x-api-key');
}

/** What {@link ProjectTokenGuard.prefetch} started for a request: the token's hash and its owner's generation. */
interface Prefetched {
  hash: Buffer;
  generation: Promise<string | null> | null;
}

const prefetched = new WeakMap<object, Prefetched>();

/** At most one last_used_at write per token and process in this long (the repository also keeps it to once a minute). */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Authenticates gateway calls with a project token: known hash, not revoked, not expired, project still
 * live. An optional `X-Pantheon-Project` header must name the token's own project (403 otherwise).
 *
 * What a token stands for is cached per process by the token's hash (GatewayCache), checked against the owner's
 * generation on every request; expiry is checked on every request against the cached expiry.
 */
@Injectable()
export class ProjectTokenGuard implements CanActivate {
  private readonly logger = new Logger('ProjectTokenGuard');
  /** Token id → when this process last recorded its use. */
  private readonly touched: BoundedMap<string, number>;

  constructor(
    private readonly db: DbService,
    private readonly tokens: ProjectTokenRepository,
    private readonly projects: ProjectRepository,
    private readonly cache: GatewayCache,
  ) {
    this.touched = new BoundedMap(10_000);
  }

  /**
   * Called by a middleware before the global guards: starts reading the generation of the token's owner (when
   * this process has seen the token), so that Redis round trip overlaps the rate limiter's. Decides nothing.
   */
  prefetch(req: GatewayRequest): void {
    const raw = presentedToken(req);
    if (!raw || !looksLikeProjectToken(raw)) return;
    const hash = hashProjectToken(raw);
    const owner = this.cache.tokenOwners.get(hash.toString('hex'));
    prefetched.set(req, { hash, generation: owner ? this.cache.generation(owner) : null });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    const raw = presentedToken(req);
    if (!raw || !looksLikeProjectToken(raw)) throw new UnauthorizedException('A valid project token is required');
    // The middleware's work is used only for the very token presented now.
    const early = prefetched.get(req);
    const hash = hashProjectToken(raw);
    const found = await this.resolve(hash, early?.hash.equals(hash) ? early.generation : null);
    if (!found || !found.token.usable || found.token.expiresAt <= Date.now()) {
      throw new UnauthorizedException('The project token is unknown, expired or revoked');
    }
    const { token, generation } = found;
    const named = header(req, 'x-pantheon-project');
    if (named !== undefined && named !== token.projectId) {
      throw new ForbiddenException('This project token belongs to another project');
    }
    this.touch(token);
    req.projectPrincipal = { userId: token.userId, projectId: token.projectId, tokenId: token.tokenId, generation };
    return true;
  }

  /** The token (cached when its owner's generation still matches), and the generation the rest of the request uses. */
  private async resolve(hash: Buffer, early: Promise<string | null> | null): Promise<{ token: CachedProjectToken; generation: string | null } | null> {
    const hashHex = hash.toString('hex');
    const owner = this.cache.tokenOwners.get(hashHex);
    // Read before the load, so an entry is never tagged with a generation newer than what it was loaded from.
    const generation = owner ? await (early ?? this.cache.generation(owner)) : null;
    if (generation !== null) {
      const hit = this.cache.tokens.get(hashHex, generation);
      if (hit) return { token: hit, generation };
    }
    const loadedAt = performance.now();
    const token = await this.load(hash, hashHex);
    if (!token) return null;
    this.cache.tokenOwners.set(hashHex, token.userId);
    if (generation !== null && token.userId === owner) {
      this.cache.tokens.set(hashHex, generation, token, loadedAt);
      return { token, generation };
    }
    // First sight of this token here: nothing cached for it yet, but what the request loads next can be.
    return { token, generation: await this.cache.generation(token.userId) };
  }

  private load(hash: Buffer, hashHex: string): Promise<CachedProjectToken | null> {
    return this.db.withTokenHash(hashHex, async (tx) => {
      const token = await this.tokens.findByHash(tx, hash);
      if (!token) return null;
      await this.db.enterUserScope(tx, token.userId);
      const project = token.revokedAt ? null : await this.projects.findLive(tx, token.projectId);
      return {
        userId: token.userId,
        projectId: token.projectId,
        tokenId: token.id,
        expiresAt: token.expiresAt.getTime(),
        usable: !token.revokedAt && project !== null && project.status !== 'deleting',
      };
    });
  }

  /** Records the token's use off the response path, at most once per TOUCH_INTERVAL_MS per process. */
  private touch(token: CachedProjectToken): void {
    const now = Date.now();
    const last = this.touched.get(token.tokenId);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(token.tokenId, now);
    this.db
      .withUser(token.userId, (tx) => this.tokens.touch(tx, token.tokenId))
      .catch((err: Error) => this.logger.warn({ tokenId: token.tokenId, err: err.message }, 'last_used_at not recorded'));
  }
}
