const REDACTED = '[REDACTED]';
// Shorter strings would redact ordinary words and cannot be real provider keys anyway.
const MIN_SECRET_LENGTH = 8;

const SENSITIVE_HEADERS = ['authorization', 'cookie', 'x-api-key', 'x-goog-api-key', 'proxy-authorization'];
const SENSITIVE_KEYS = [
  'key',
  'apiKey',
  'api_key',
  'token',
  'access_token',
  'refresh_token',
  'password',
  'secret',
  'ciphertext',
  'authorization',
];

/**
 * Paths for pino's `redact` option: request credential headers (as logged by pino-http) and
 * sensitive keys at the top level and up to two levels down (`key`, `*.key`, `*.*.key`).
 * Deeper nesting is not covered; log codes and ids, not payloads.
 */
export const REDACT_PATHS: string[] = [
  ...SENSITIVE_HEADERS.map((header) => `req.headers["${header}"]`),
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/**
 * Replaces every occurrence of each secret (8+ characters) in `text` with `[REDACTED]`, e.g. a
 * provider error message that echoes the key, before it is logged or returned.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  // Longest first, so a secret that contains another is removed whole.
  const candidates = [...new Set(secrets)]
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  return candidates.reduce((scrubbed, secret) => scrubbed.split(secret).join(REDACTED), text);
}
