import { Module } from '@nestjs/common';
import { keyRingProvider, KEY_RING, MasterKeyCheck } from './key-ring.provider';
import { ProviderKeyVault } from './provider-key-vault.service';

@Module({
  providers: [keyRingProvider, MasterKeyCheck, ProviderKeyVault],
  exports: [ProviderKeyVault, KEY_RING],
})
export class KeysModule {}
