import { Inject, Injectable, Logger, OnModuleInit, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { assertMasterKeysMatch, KeyRing, masterKeyVerifier } from '@pantheon/crypto';
import { DbService } from '@pantheon/db';

export const KEY_RING = Symbol('KEY_RING');

export const keyRingProvider: Provider = {
  provide: KEY_RING,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig): KeyRing => {
    if (!config.masterKeysSpec) {
      throw new Error('PANTHEON_MASTER_KEYS (or PANTHEON_MASTER_KEYS_FILE) is required to store provider keys');
    }
    return KeyRing.parse(config.masterKeysSpec);
  },
};

/**
 * Fails boot when a configured master key differs from the one this database was encrypted with, instead of
 * failing later on the first decrypt. New versions get their verifier recorded.
 */
@Injectable()
export class MasterKeyCheck implements OnModuleInit {
  private readonly logger = new Logger('MasterKeyCheck');

  constructor(
    @Inject(KEY_RING) private readonly ring: KeyRing,
    private readonly db: DbService,
  ) {}

  async onModuleInit(): Promise<void> {
    assertMasterKeysMatch(this.ring, await this.db.storedMasterKeyVerifiers());
    for (const version of this.ring.versions) {
      await this.db.storeMasterKeyVerifier(version, masterKeyVerifier(this.ring, version));
    }
    // A concurrent boot may have recorded a different key for a new version between our read and write.
    assertMasterKeysMatch(this.ring, await this.db.storedMasterKeyVerifiers());
    this.logger.log(`master keys verified (versions ${this.ring.versions.join(', ')}; current ${this.ring.current})`);
  }
}
