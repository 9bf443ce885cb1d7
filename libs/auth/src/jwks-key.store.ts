import { Logger } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';

export interface JwksKeyStoreOptions {
  /** The realm's JWKS: `<realm url>/protocol/openid-connect/certs`. */
  url: string;
  /** Keys are fetched again once they are this old (a key removed from the realm stops being trusted then). */
  cacheTtlMs: number;
  /** Least time between two fetches, whatever the traffic: an unknown-kid flood costs one fetch per interval. */
  minRefreshMs: number;
  fetchTimeoutMs?: number;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
}

interface Jwk {
  kid?: unknown;
  kty?: unknown;
  use?: unknown;
  alg?: unknown;
}

const MAX_JWKS_BYTES = 256 * 1024;

/**
 * The realm's signing keys, standing in for keycloak-connect's key cache (which keeps a key forever and logs a
 * line per refused request). Keys are cached for `cacheTtlMs`; an unknown `kid` triggers a refresh at most once
 * per `minRefreshMs`, and concurrent callers share one fetch. If the realm cannot be reached, the last keys
 * stay in use (refusing every token would turn an identity-provider outage into an API outage).
 */
export class JwksKeyStore {
  private readonly logger = new Logger('JwksKeyStore');
  private keys = new Map<string, KeyObject>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: JwksKeyStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** keycloak-connect's Rotation interface: the key for `kid`, usable by crypto.verify. */
  async getJWK(kid: string | undefined): Promise<KeyObject> {
    if (this.now() - this.fetchedAt >= this.options.cacheTtlMs) await this.refresh();
    let key = kid === undefined ? undefined : this.keys.get(kid);
    if (!key) {
      await this.refresh();
      key = kid === undefined ? undefined : this.keys.get(kid);
    }
    if (!key) throw new Error(`no signing key with kid ${JSON.stringify(kid ?? null).slice(0, 80)}`);
    return key;
  }

  /** Fetches unless a fetch is running (then waits for it) or the last one started under `minRefreshMs` ago. */
  private refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.now() - this.lastAttempt < this.options.minRefreshMs) return Promise.resolve();
    this.lastAttempt = this.now();
    this.inflight = this.fetchKeys()
      .then(
        (keys) => {
          const before = [...this.keys.keys()];
          this.keys = keys;
          this.fetchedAt = this.now();
          const after = [...keys.keys()];
          if (before.join() !== after.join()) {
            this.logger.log({ kids: after, dropped: before.filter((k) => !keys.has(k)) }, 'realm signing keys loaded');
          }
        },
        (err: unknown) => this.logger.warn({ err: (err as Error).message }, 'realm signing keys could not be fetched; keeping the last ones'),
      )
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async fetchKeys(): Promise<Map<string, KeyObject>> {
    const res = await (this.options.fetch ?? fetch)(this.options.url, {
      signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 5000),
      headers: { accept: 'application/json' },
      redirect: 'error',
    });
    if (!res.ok) throw new Error(`JWKS answered HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS document too large');
    const body = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error('JWKS document has no keys array');
    const keys = new Map<string, KeyObject>();
    for (const jwk of body.keys as Jwk[]) {
      // Signature keys only (Keycloak also publishes RSA-OAEP encryption keys), RS256 as the verifier pins.
      if (typeof jwk.kid !== 'string' || jwk.kty !== 'RSA') continue;
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      if (jwk.alg !== undefined && jwk.alg !== 'RS256') continue;
      try {
        keys.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
      } catch {
        /* a malformed key is skipped; the others stay usable */
      }
    }
    return keys;
  }
}
