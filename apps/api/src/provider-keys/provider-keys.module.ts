import { Module } from '@nestjs/common';
import { OutboundModule } from '@pantheon/outbound';
import { ProvidersModule } from '@pantheon/providers';
import { keyRingProvider, KEY_RING, MasterKeyCheck } from './key-ring.provider';
import { ProviderKeyController, ProviderStatusController } from './provider-key.controller';
import { ProviderKeyService } from './provider-key.service';
import { ProviderKeyVault } from './provider-key.vault';

@Module({
  imports: [ProvidersModule.forRoot(), OutboundModule.forRoot()],
  controllers: [ProviderKeyController, ProviderStatusController],
  providers: [keyRingProvider, MasterKeyCheck, ProviderKeyVault, ProviderKeyService],
  exports: [ProviderKeyVault, KEY_RING],
})
export class ProviderKeysModule {}
