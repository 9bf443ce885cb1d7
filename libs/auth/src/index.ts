export { AuthModule } from './auth.module';
export { AuthError, AuthErrorCode } from './auth.errors';
export { AuthUser, AuthModuleOptions, VerifiedClaims, AUTH_OPTIONS } from './auth.types';
export { Public, Roles, CurrentUser } from './decorators';
export { KeycloakAuthGuard, bearerToken } from './keycloak.guard';
export { KeycloakTokenVerifier } from './keycloak-token.verifier';
export { UserUpsertService, RequestMeta } from './user-upsert.service';
