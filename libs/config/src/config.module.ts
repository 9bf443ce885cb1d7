import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig, loadConfig } from './load-config';

/** Injection token for the validated, typed configuration object. */
export const APP_CONFIG = Symbol('APP_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  /** Validates the environment at boot (fails naming each bad variable) unless a config is given (tests). */
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useFactory: () => config ?? loadConfig() }],
      exports: [APP_CONFIG],
    };
  }
}
