import { Inject, Injectable } from '@nestjs/common';
import { decryptSecret, encryptSecret, KeyRing, providerKeyAad } from '@pantheon/crypto';
import { ProviderKeyRecord, ProviderKeyRepository, Tx } from '@pantheon/db';
import type { ProviderId } from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { KEY_RING } from './key-ring.provider';

/** A user's key, decrypted for one call. The plaintext lives only as long as the call. */
export interface ResolvedKey {
  keyId: string;
  apiKey: string;
  baseUrl?: string;
}

/** Seals, opens and picks provider keys. Plaintext exists only in memory, for as long as a call needs it. */
@Injectable()
export class ProviderKeyVault {
  constructor(
    @Inject(KEY_RING) private readonly ring: KeyRing,
    private readonly keys: ProviderKeyRepository,
  ) {}

  seal(userId: string, keyId: string, plaintext: string): { keyVersion: number; ciphertext: Buffer } {
    return encryptSecret(this.ring, { userId, plaintext, aad: providerKeyAad(userId, keyId) });
  }

  open(record: Pick<ProviderKeyRecord, 'id' | 'userId' | 'keyVersion' | 'ciphertext'>): string {
    return decryptSecret(this.ring, {
      userId: record.userId,
      keyVersion: record.keyVersion,
      ciphertext: Buffer.from(record.ciphertext),
      aad: providerKeyAad(record.userId, record.id),
    });
  }

  /** The caller's key for `provider` (the given one, or the usable one), decrypted. 400 names what is missing. */
  async resolve(tx: Tx, provider: ProviderId, keyId?: string): Promise<ResolvedKey> {
    const record = keyId ? await this.keys.findById(tx, keyId) : await this.keys.findUsable(tx, provider);
    if (!record || record.provider !== provider) {
      throw new DomainError(
        DomainErrorCode.INVALID,
        keyId ? 'API key not found for this provider' : `No usable ${provider} API key: add one under /api/user/api-keys`,
      );
    }
    return { keyId: record.id, apiKey: this.open(record), baseUrl: record.baseUrl ?? undefined };
  }
}
