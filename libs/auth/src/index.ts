export { AuthModule } from './auth.module';
export { AuthError, AuthErrorCode, rateLimited } from './auth.errors';
export { AUTH_ATTEMPT_LIMITER, AuthAttemptLimiter } from './auth-attempts';
export { AuthUser, AuthModuleOptions, VerifiedClaims, AUTH_OPTIONS } from './auth.types';
export { AlternateBearer, Public, Roles, CurrentUser } from './decorators';
export { KeycloakAuthGuard, bearerToken, countAuthFailure } from './keycloak.guard';
export { KeycloakTokenVerifier } from './keycloak-token.verifier';
export { UserUpsertService, RequestMeta } from './user-upsert.service';
export { JwksKeyStore, JwksKeyStoreOptions } from './jwks-key.store';
