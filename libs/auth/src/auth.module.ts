import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AUTH_ATTEMPT_LIMITER, AuthAttemptLimiter } from './auth-attempts';
import { AUTH_OPTIONS, AuthModuleOptions } from './auth.types';
import { KeycloakAuthGuard } from './keycloak.guard';
import { KeycloakTokenVerifier } from './keycloak-token.verifier';
import { UserUpsertService } from './user-upsert.service';

interface FactoryProvider<T> {
  useFactory: (...args: any[]) => T;
  inject?: any[];
}

@Module({})
export class AuthModule {
  /**
   * Provides the bearer guard; the API's root module registers it as the first global guard (APP_GUARD
   * order is registration order, and the rate limiter must run after authentication). `attemptLimiter`
   * counts failed authentications per client address (none = unlimited).
   */
  static forRootAsync(opts: FactoryProvider<AuthModuleOptions> & { attemptLimiter?: FactoryProvider<AuthAttemptLimiter> }): DynamicModule {
    const limiter: Provider[] = opts.attemptLimiter
      ? [{ provide: AUTH_ATTEMPT_LIMITER, useFactory: opts.attemptLimiter.useFactory, inject: opts.attemptLimiter.inject ?? [] }]
      : [];
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_OPTIONS, useFactory: opts.useFactory, inject: opts.inject ?? [] },
        ...limiter,
        KeycloakTokenVerifier,
        UserUpsertService,
        KeycloakAuthGuard,
      ],
      exports: [KeycloakAuthGuard, KeycloakTokenVerifier, UserUpsertService, AUTH_OPTIONS, ...(opts.attemptLimiter ? [AUTH_ATTEMPT_LIMITER] : [])],
    };
  }
}
