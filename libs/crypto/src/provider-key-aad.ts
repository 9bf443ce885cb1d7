/**
 * Additional authenticated data for a stored provider key: binds the ciphertext to its owner and row, so a
 * ciphertext copied to another row or user fails to decrypt. Every encrypt/decrypt of a provider key uses it.
 */
export function providerKeyAad(userId: string, keyId: string): string {
  return `provider_key:${userId}:${keyId}`;
}
