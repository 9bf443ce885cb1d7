import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { UserGenerations } from '@pantheon/events';
import type { GatewayRoutes } from '../llm-proxy/model-routing';
import type { ResolvedKey } from '../provider-keys/provider-key.vault';

/** A Map that forgets its least recently used entries beyond `max` (Map keeps insertion order). */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

interface Tagged<V> {
  generation: string;
  loadedAt: number;
  value: V;
}

/**
 * Values valid while their user's generation is the one they were loaded under, and for at most `ttlMs`
 * (what bounds a change made behind the API's back). The generation must be read before the load.
 */
export class GenerationCache<V> {
  private readonly entries: BoundedMap<string, Tagged<V>>;

  constructor(
    max: number,
    private readonly ttlMs: number,
  ) {
    this.entries = new BoundedMap(max);
  }

  /** The cached value (null is a value), or undefined when absent, stale or of another generation. */
  get(key: string, generation: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.generation !== generation || performance.now() - hit.loadedAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, generation: string, value: V, loadedAt: number): void {
    this.entries.set(key, { generation, loadedAt, value });
  }
}

/** What a project token stands for, as the gateway caches it (keyed by the token's hash, never the token). */
export interface CachedProjectToken {
  userId: string;
  projectId: string;
  tokenId: string;
  expiresAt: number;
  /** False: revoked, or its project is deleted or being deleted (neither ever comes back). */
  usable: boolean;
}

/**
 * The LLM gateway's per-process cache of what it derives per request: project tokens (by hash), project
 * routing, the owner's decrypted provider keys (process memory only, never Redis) and whether a budget applies.
 * Every entry is tagged with its user's generation ({@link UserGenerations}, one Redis read per request) and
 * expires after GATEWAY_CACHE_TTL_MS. When Redis cannot be read nothing is served from the cache.
 *
 * Writers: every change that could alter a cached answer runs through {@link invalidating} (or bumps the
 * generation itself, as the worker does) so it is seen by every process before its response returns.
 */
@Injectable()
export class GatewayCache {
  private readonly logger = new Logger('GatewayCache');
  private readonly enabled: boolean;
  readonly tokens: GenerationCache<CachedProjectToken>;
  /** Token hash → owner: fixed for a token's life, so it needs no generation (it only says whose one to read). */
  readonly tokenOwners: BoundedMap<string, string>;
  /** By project id; null: the project has no routing table. */
  readonly routes: GenerationCache<GatewayRoutes | null>;
  /** By `userId:provider`: the key a call without an explicit key would use. */
  readonly keys: GenerationCache<ResolvedKey>;
  /** By `userId:projectId`: whether a monthly or the project's token budget applies (false: no reservation needed). */
  readonly budgets: GenerationCache<boolean>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly generations: UserGenerations,
  ) {
    const max = config.GATEWAY_CACHE_MAX_ENTRIES;
    const ttl = config.GATEWAY_CACHE_TTL_MS;
    this.enabled = ttl > 0;
    this.tokens = new GenerationCache(max, ttl);
    this.tokenOwners = new BoundedMap(max);
    this.routes = new GenerationCache(max, ttl);
    this.keys = new GenerationCache(max, ttl);
    this.budgets = new GenerationCache(max, ttl);
  }

  /** The user's generation to tag and check entries with; null when caching is off or Redis cannot be read. */
  async generation(userId: string): Promise<string | null> {
    if (!this.enabled) return null;
    try {
      return await this.generations.current(userId);
    } catch (err) {
      this.logger.warn({ userId, err: (err as Error).message }, 'generation unreadable; the gateway reads the database');
      return null;
    }
  }

  /**
   * Runs a change of the user's data, then (after it committed, before the caller answers) moves the user's
   * generation on, so no process serves an answer cached before it. When Redis cannot be written the change
   * stands and the failure is logged: caches elsewhere then see it within GATEWAY_CACHE_TTL_MS.
   */
  async invalidating<T>(userId: string, change: Promise<T>): Promise<T> {
    const result = await change;
    await this.invalidate(userId);
    return result;
  }

  async invalidate(userId: string): Promise<void> {
    await this.generations.bump(userId).catch((err: Error) =>
      this.logger.error({ userId, err: err.message }, `generation not moved on; gateway caches may serve the old state for up to GATEWAY_CACHE_TTL_MS`),
    );
  }
}
