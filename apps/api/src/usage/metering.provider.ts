import { Logger, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { BudgetRepository, DbService, ProjectRepository, UsageRepository, UserSettingsRepository } from '@pantheon/db';
import { ProviderRegistry } from '@pantheon/providers';
import { ApiMetrics } from '../metrics/api.metrics';
import { ProviderKeyVault } from '../provider-keys/provider-key.vault';
import { MeteringDeps, parsePrices } from './metered-call';

export const METERING = Symbol('METERING');

/** The repositories, vault and price list every metered call uses, built once (not a service: no rules here). */
export const meteringProvider: Provider = {
  provide: METERING,
  inject: [APP_CONFIG, DbService, ProviderKeyVault, ProviderRegistry, UserSettingsRepository, UsageRepository, ProjectRepository, BudgetRepository, ApiMetrics],
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
  ): MeteringDeps => ({
    db, vault, registry, settings, usage, projects, budgets, metrics,
    prices: parsePrices(config.MODEL_PRICES),
    reservation: { defaultCompletionTokens: config.BUDGET_RESERVATION_TOKENS, ttlMs: config.BUDGET_RESERVATION_TTL_S * 1000 },
    logger: new Logger('MeteredCall'),
  }),
};
