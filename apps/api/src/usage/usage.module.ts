import { Module } from '@nestjs/common';
import { ProvidersModule } from '@pantheon/providers';
import { ProviderKeysModule } from '../provider-keys/provider-keys.module';
import { meteringProvider, METERING } from './metering.provider';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

@Module({
  imports: [ProviderKeysModule, ProvidersModule.forRoot()],
  controllers: [UsageController],
  providers: [UsageService, meteringProvider],
  exports: [METERING],
})
export class UsageModule {}
