import { Logger, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { BudgetRepository, DbService, ProjectRepository, UsageRepository, UserSettingsRepository } from '@pantheon/db';
import { ProviderRegistry } from '@pantheon/providers';
import { REDIS, RedisJsonCache } from '@pantheon/events';
import type Redis from 'ioredis';
import { GatewayCache } from '../gateway-cache/gateway-cache';
import { ApiMetrics } from '../metrics/api.metrics';
import { priceBook } from './price-book';
import { ProviderKeyVault } from '../provider-keys/provider-key.vault';
import { MeteringDeps, parsePrices } from './metered-call';
import { UsageFlushQueue } from './usage-flush.queue';

export const METERING = Symbol('METERING');

/** The repositories, vault and price list every metered call uses, built once (not a service: no rules here). */
export const meteringProvider: Provider = {
  provide: METERING,
  inject: [
    APP_CONFIG, DbService, ProviderKeyVault, ProviderRegistry, UserSettingsRepository, UsageRepository, ProjectRepository, BudgetRepository, ApiMetrics, REDIS,
    GatewayCache, UsageFlushQueue,
  ],
  useFactory: (
    config: AppConfig,
    db: DbService,
    vault: ProviderKeyVault,
    registry: ProviderRegistry,
    settings: UserSettingsRepository,
    usage: UsageRepository,
    projects: ProjectRepository,
    budgets: BudgetRepository,
    metrics: ApiMetrics,
    redis: Redis,
    cache: GatewayCache,
    usageQueue: UsageFlushQueue,
  ): MeteringDeps => ({
    db, vault, registry, settings, usage, projects, budgets, metrics, cache, usageQueue,
    prices: priceBook({
      prices: parsePrices(config.MODEL_PRICES),
      registry,
      cache: new RedisJsonCache(redis, { redisPrefix: config.REDIS_PREFIX }),
      ttlSeconds: config.MODELS_CACHE_TTL_S,
      logger: new Logger('PriceBook'),
    }),
    reservation: { defaultCompletionTokens: config.BUDGET_RESERVATION_TOKENS, ttlMs: config.BUDGET_RESERVATION_TTL_S * 1000 },
    logger: new Logger('MeteredCall'),
  }),
};
