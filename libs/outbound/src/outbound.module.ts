import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { OutboundPolicy } from './outbound.policy';
import { outboundSettingsFromConfig } from './outbound.settings';

@Module({})
export class OutboundModule {
  /** The policy from the validated config (needs ConfigModule). */
  static forRoot(): DynamicModule {
    return {
      module: OutboundModule,
      providers: [{ provide: OutboundPolicy, useFactory: (config: AppConfig) => new OutboundPolicy(outboundSettingsFromConfig(config)), inject: [APP_CONFIG] }],
      exports: [OutboundPolicy],
    };
  }
}
