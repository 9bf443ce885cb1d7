/** The verified caller, attached to the request (and socket) by the auth guard. */
export interface AuthUser {
  /** Our users.id — the RLS identity. */
  id: string;
  /** Keycloak subject. */
  sub: string;
  email: string | null;
  name: string | null;
  pictureUrl: string | null;
  /** Realm roles from `realm_access.roles`. */
  roles: string[];
  sessionId: string | null;
}

/** The claims we rely on from a Keycloak access token, after verification. */
export interface VerifiedClaims {
  sub: string;
  email: string | null;
  name: string | null;
  pictureUrl: string | null;
  roles: string[];
  sessionId: string | null;
  azp: string | null;
  expiresAt: number;
}

export interface AuthModuleOptions {
  /** e.g. https://keycloak.example.com (without /realms/...). */
  authServerUrl: string;
  realm: string;
  /** The API's bearer-only client id; required in `aud` when verifyAudience is on. */
  clientId: string;
  verifyAudience: boolean;
  /** Clients allowed as `azp`; empty = any client of the realm. */
  allowedAzp: string[];
  /** Realm role every caller of a non-public route must hold. */
  requiredRole: string;
  /** How long the realm's signing keys are trusted before they are fetched again. */
  jwksCacheTtlMs: number;
  /** Least time between two JWKS fetches (an unknown kid asks for one). */
  jwksMinRefreshMs: number;
  /**
   * How long a verified token's claims are reused (never past its `exp`, and only while its signing key is
   * still the realm's): repeated requests with one token skip the signature check. 0 = verify every time.
   */
  tokenCacheTtlMs?: number;
  /** How long a subject's user row (id, profile) is reused without a database round trip. 0 = every request. */
  userCacheTtlMs?: number;
}

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
