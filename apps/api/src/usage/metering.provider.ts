import { Logger, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { DbService, ProjectRepository, UsageRepository, UserSettingsRepository } from '@pantheon/db';
import { ProviderRegistry } from '@pantheon/providers';
import { ProviderKeyVault } from '../provider-keys/provider-key.vault';
import { MeteringDeps, parsePrices } from './metered-call';

export const METERING = Symbol('METERING');

/** The repositories, vault and price list every metered call uses, built once (not a service: no rules here). */
export const meteringProvider: Provider = {
  provide: METERING,
  inject: [APP_CONFIG, DbService, ProviderKeyVault, ProviderRegistry, UserSettingsRepository, UsageRepository, ProjectRepository],
  useFactory: (
    config: AppConfig,
    db: DbService,
    vault: ProviderKeyVault,
    registry: ProviderRegistry,
    settings: UserSettingsRepository,
    usage: UsageRepository,
    projects: ProjectRepository,
  ): MeteringDeps => ({ db, vault, registry, settings, usage, projects, prices: parsePrices(config.MODEL_PRICES), logger: new Logger('MeteredCall') }),
};
