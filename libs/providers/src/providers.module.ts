import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { PROVIDER_SETTINGS, ProviderRegistry } from './provider.registry';
import { providerSettingsFromConfig, ProviderSettings } from './provider.settings';

@Module({})
export class ProvidersModule {
  /** Settings from the validated config (needs ConfigModule), or given directly (tests). */
  static forRoot(settings?: ProviderSettings): DynamicModule {
    return {
      module: ProvidersModule,
      providers: [
        settings
          ? { provide: PROVIDER_SETTINGS, useValue: settings }
          : { provide: PROVIDER_SETTINGS, useFactory: (config: AppConfig) => providerSettingsFromConfig(config), inject: [APP_CONFIG] },
        ProviderRegistry,
      ],
      exports: [ProviderRegistry],
    };
  }
}
