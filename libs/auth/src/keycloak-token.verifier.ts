import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { KeyObject } from 'node:crypto';
// keycloak-connect ships no types; we use its grant manager (bearer-only) and Token parser.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import KeycloakConnect = require('keycloak-connect');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import KeycloakToken = require('keycloak-connect/middleware/auth-utils/token');
import { AuthError, AuthErrorCode } from './auth.errors';
import { AUTH_OPTIONS, AuthModuleOptions, VerifiedClaims } from './auth.types';
import { JwksKeyStore } from './jwks-key.store';

interface ParsedToken {
  header?: { alg?: string; kid?: string; typ?: string };
  content: Record<string, unknown>;
}

interface GrantManager {
  validateToken(token: ParsedToken, expectedType: string): Promise<ParsedToken>;
  /** Where validateToken gets the key for a kid (`getJWK(kid)`); replaced by our JwksKeyStore. */
  rotation: Pick<JwksKeyStore, 'getJWK'>;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// Keycloak access tokens are a few KB; anything far larger is refused before parsing.
const MAX_TOKEN_LENGTH = 8 * 1024;
// Bounds the verified-token cache by the tokens' own size (a few KB each).
const TOKEN_CACHE_BYTES = 16 * 1024 * 1024;

/** A token that passed every check, and the key that verified it (the entry is void once the realm drops it). */
interface VerifiedEntry {
  claims: VerifiedClaims;
  kid: string;
  key: KeyObject;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/**
 * Verifies Keycloak access tokens with keycloak-connect's grant manager (bearer-only): expiry, `typ`,
 * not-before, exact issuer, audience, and the RS256 signature against the realm's JWKS. The keys come from our
 * JwksKeyStore (cached with a TTL, refreshed on an unknown kid at most once per interval) instead of
 * keycloak-connect's own cache, which trusts a key forever once seen. On top of it we pin the algorithm (no `none`/HMAC confusion),
 * check `nbf`, and optionally restrict the authorised party.
 */
@Injectable()
export class KeycloakTokenVerifier {
  private readonly grantManager: GrantManager;
  private readonly keys: JwksKeyStore;
  private readonly verified: LRUCache<string, VerifiedEntry> | undefined;

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthModuleOptions) {
    const keycloak = new (KeycloakConnect as unknown as new (a: object, b: object) => { grantManager: GrantManager })(
      {},
      {
        realm: options.realm,
        'auth-server-url': options.authServerUrl,
        resource: options.clientId,
        'bearer-only': true,
        'verify-token-audience': options.verifyAudience,
        'ssl-required': 'external',
        'confidential-port': 0,
      },
    );
    this.grantManager = keycloak.grantManager;
    this.keys = new JwksKeyStore({
      url: `${options.authServerUrl.replace(/\/+$/, '')}/realms/${options.realm}/protocol/openid-connect/certs`,
      cacheTtlMs: options.jwksCacheTtlMs,
      minRefreshMs: options.jwksMinRefreshMs,
    });
    this.grantManager.rotation = this.keys;
    const ttl = options.tokenCacheTtlMs ?? 0;
    this.verified = ttl > 0 ? new LRUCache({ ttl, maxSize: TOKEN_CACHE_BYTES, sizeCalculation: (_v, raw) => raw.length }) : undefined;
  }

  async verify(raw: string): Promise<VerifiedClaims> {
    const hit = this.verified?.get(raw);
    if (hit) {
      if (hit.claims.expiresAt * 1000 > Date.now() && (await this.stillTrusted(hit))) return hit.claims;
      this.verified?.delete(raw);
    }
    const { claims, kid } = await this.verifyFully(raw);
    if (this.verified && kid) this.verified.set(raw, { claims, kid, key: await this.keys.getJWK(kid) });
    return claims;
  }

  /**
   * A cached token stays valid only while the realm still publishes the very key that verified it, checked the
   * way a full verification would (the key store refetches once its TTL has passed): a rotation refuses it as
   * soon as it would refuse an uncached one.
   */
  private async stillTrusted(entry: VerifiedEntry): Promise<boolean> {
    try {
      return (await this.keys.getJWK(entry.kid)) === entry.key;
    } catch {
      return false;
    }
  }

  /** Every check, uncached; also returns the kid of the key that verified it. */
  private async verifyFully(raw: string): Promise<{ claims: VerifiedClaims; kid: string | undefined }> {
    if (raw.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(raw)) {
      throw new AuthError(AuthErrorCode.INVALID_TOKEN, 'Invalid or expired token', 'malformed');
    }
    const token = new (KeycloakToken as unknown as new (raw: string, clientId: string) => ParsedToken)(
      raw,
      this.options.clientId,
    );
    if (!token.header || token.header.alg !== 'RS256') {
      throw new AuthError(AuthErrorCode.INVALID_TOKEN, 'Invalid or expired token', `alg ${token.header?.alg}`);
    }
    try {
      await this.grantManager.validateToken(token, 'Bearer');
    } catch (err) {
      throw new AuthError(AuthErrorCode.INVALID_TOKEN, 'Invalid or expired token', (err as Error).message);
    }
    const c = token.content;
    const now = Math.floor(Date.now() / 1000);
    if (typeof c.nbf === 'number' && c.nbf > now + 30) {
      throw new AuthError(AuthErrorCode.INVALID_TOKEN, 'Invalid or expired token', 'not yet valid');
    }
    const azp = str(c.azp);
    if (this.options.allowedAzp.length > 0 && (!azp || !this.options.allowedAzp.includes(azp))) {
      throw new AuthError(AuthErrorCode.INVALID_TOKEN, 'Invalid or expired token', `azp ${azp} not allowed`);
    }
    const sub = str(c.sub);
    if (!sub) throw new AuthError(AuthErrorCode.INVALID_TOKEN, 'Invalid or expired token', 'no subject');
    const realmAccess = c.realm_access as { roles?: unknown } | undefined;
    const roles = Array.isArray(realmAccess?.roles) ? realmAccess.roles.filter((r): r is string => typeof r === 'string') : [];
    const claims: VerifiedClaims = {
      sub,
      email: str(c.email),
      name: str(c.name),
      pictureUrl: str(c.picture),
      roles,
      sessionId: str(c.sid) ?? str(c.session_state),
      azp,
      expiresAt: typeof c.exp === 'number' ? c.exp : 0,
    };
    return { claims, kid: token.header.kid };
  }
}
