import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { CustomModelRepository, DbService, ProviderKeyRepository } from '@pantheon/db';
import { REDIS, RedisJsonCache } from '@pantheon/events';
import { ModelInfo, ProviderId, ProviderRegistry } from '@pantheon/providers';
import type Redis from 'ioredis';
import { isCallFailure } from '../common/error-map';
import { ProviderKeyVault } from '../provider-keys/provider-key.vault';

export interface ModelEntry {
  id: string;
  provider: string;
  model: string;
  name: string | null;
  context_length: number | null;
  source: 'provider' | 'custom';
}

export interface ModelListResult {
  data: ModelEntry[];
  /** Providers whose list could not be fetched (the rest is still returned). */
  errors: { provider: string; error: string }[];
}

/** Provider model lists (cached in Redis per user and provider) merged with the user's custom models. */
@Injectable()
export class ModelListService {
  private readonly cache: RedisJsonCache;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) redis: Redis,
    private readonly db: DbService,
    private readonly keys: ProviderKeyRepository,
    private readonly customModels: CustomModelRepository,
    private readonly registry: ProviderRegistry,
    private readonly vault: ProviderKeyVault,
  ) {
    this.cache = new RedisJsonCache(redis, { redisPrefix: config.REDIS_PREFIX });
  }

  async list(userId: string): Promise<ModelListResult> {
    const { providers, custom } = await this.db.withUser(userId, async (tx) => ({
      providers: (await this.keys.providersWithKeys(tx)).map((p) => p.provider as ProviderId),
      custom: (await this.customModels.list(tx, { limit: 1000, offset: 0 })).items,
    }));
    const errors: ModelListResult['errors'] = [];
    const lists = await Promise.all(
      providers.map(async (provider) => {
        try {
          return await this.providerModels(userId, provider);
        } catch (err) {
          errors.push({ provider, error: isCallFailure(err) ? err.message : `${provider} model list unavailable` });
          return [];
        }
      }),
    );
    const data: ModelEntry[] = lists.flat().map((m) => ({
      id: m.id, provider: m.provider, model: m.model, name: m.name ?? null, context_length: m.contextLength ?? null, source: 'provider' as const,
    }));
    const seen = new Set(data.map((m) => m.id));
    for (const c of custom) {
      const id = `${c.provider}/${c.modelId}`;
      if (seen.has(id)) continue;
      data.push({ id, provider: c.provider, model: c.modelId, name: c.displayName, context_length: c.contextLength, source: 'custom' });
    }
    return { data: data.sort((a, b) => a.id.localeCompare(b.id)), errors };
  }

  /** A user's list for one provider: from Redis when fresh, else fetched with the user's key. Only public model metadata is cached, never the key. */
  private providerModels(userId: string, provider: ProviderId): Promise<ModelInfo[]> {
    return this.cache.getOrLoad(`models:${userId}:${provider}`, this.config.MODELS_CACHE_TTL_S, async () => {
      const key = await this.db.withUser(userId, (tx) => this.vault.resolve(tx, provider));
      return this.registry.get(provider).listModels({ apiKey: key.apiKey, baseUrl: key.baseUrl, fetch: key.fetch?.buffered });
    });
  }
}
