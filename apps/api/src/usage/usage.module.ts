import { Module } from '@nestjs/common';
import { ProvidersModule } from '@pantheon/providers';
import { ProviderKeysModule } from '../provider-keys/provider-keys.module';
import { meteringProvider, METERING } from './metering.provider';
import { UsageController } from './usage.controller';
import { UsageFlushQueue } from './usage-flush.queue';
import { UsageService } from './usage.service';

@Module({
  imports: [ProviderKeysModule, ProvidersModule.forRoot()],
  controllers: [UsageController],
  providers: [UsageService, UsageFlushQueue, meteringProvider],
  exports: [METERING, UsageFlushQueue],
})
export class UsageModule {}
