import { Inject, Injectable } from '@nestjs/common';
import { decryptSecret, encryptSecret, KeyRing, providerKeyAad } from '@pantheon/crypto';
import { ProviderKeyRecord } from '@pantheon/db';
import { KEY_RING } from './key-ring.provider';

/** Seals and opens provider keys. Plaintext exists only in memory, for as long as a call needs it. */
@Injectable()
export class ProviderKeyVault {
  constructor(@Inject(KEY_RING) private readonly ring: KeyRing) {}

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
}
