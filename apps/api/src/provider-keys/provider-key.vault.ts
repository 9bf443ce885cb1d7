import { Inject, Injectable } from '@nestjs/common';
import { decryptSecret, encryptSecret, KeyRing, providerKeyAad } from '@pantheon/crypto';
import { ProviderKeyRecord, ProviderKeyRepository, Tx } from '@pantheon/db';
import { OutboundPolicy, PolicyFetch } from '@pantheon/outbound';
import type { ProviderId } from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { KEY_RING } from './key-ring.provider';

/** A user's key, decrypted for one call. The plaintext lives only as long as the call. */
export interface ResolvedKey {
  keyId: string;
  apiKey: string;
  baseUrl?: string;
  /** Set with a user-supplied base URL: every request to it goes through the outbound policy. */
  fetch?: PolicyFetch;
}

/** Seals, opens and picks provider keys. Plaintext exists only in memory, for as long as a call needs it. */
@Injectable()
export class ProviderKeyVault {
  private readonly baseUrlFetch: PolicyFetch;

  constructor(
    @Inject(KEY_RING) private readonly ring: KeyRing,
    private readonly keys: ProviderKeyRepository,
    outbound: OutboundPolicy,
  ) {
    this.baseUrlFetch = outbound.fetchFor('base_url');
  }

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

  /** A stored key ready for a call. Operator-configured base URLs are trusted; a user's goes through the policy. */
  openForCall(record: ProviderKeyRecord): ResolvedKey {
    const apiKey = this.open(record);
    return record.baseUrl ? { keyId: record.id, apiKey, baseUrl: record.baseUrl, fetch: this.baseUrlFetch } : { keyId: record.id, apiKey };
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
    return this.openForCall(record);
  }
}
