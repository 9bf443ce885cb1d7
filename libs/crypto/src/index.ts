export { CryptoError, CryptoErrorCode } from './crypto.errors';
export { KeyRing, type KeyRingSummary } from './key-ring';
export {
  decryptSecret,
  encryptSecret,
  reencryptSecret,
  type DecryptSecretInput,
  type EncryptSecretInput,
  type SealedSecret,
} from './envelope';
export { assertMasterKeysMatch, masterKeyVerifier, type StoredMasterKeyVerifier } from './master-key-verifier';
export { fingerprint, last4, maskSecret } from './mask';
export { REDACT_PATHS, redactSecrets } from './redact';
export { providerKeyAad } from './provider-key-aad';
export { generateProjectToken, hashProjectToken, looksLikeProjectToken, PROJECT_TOKEN_PREFIX, type IssuedProjectToken } from './project-token';
export { toolsApiCredential, TOOLS_API_CREDENTIAL_PREFIX } from './tools-api-credential';
