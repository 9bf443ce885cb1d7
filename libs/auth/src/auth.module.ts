import { DynamicModule, Module } from '@nestjs/common';
import { AUTH_OPTIONS, AuthModuleOptions } from './auth.types';
import { KeycloakAuthGuard } from './keycloak.guard';
import { KeycloakTokenVerifier } from './keycloak-token.verifier';
import { UserUpsertService } from './user-upsert.service';

@Module({})
export class AuthModule {
  /**
   * Provides the bearer guard; the API's root module registers it as the first global guard (APP_GUARD
   * order is registration order, and the rate limiter must run after authentication).
   */
  static forRootAsync(opts: { useFactory: (...args: any[]) => AuthModuleOptions; inject?: any[] }): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_OPTIONS, useFactory: opts.useFactory, inject: opts.inject ?? [] },
        KeycloakTokenVerifier,
        UserUpsertService,
        KeycloakAuthGuard,
      ],
      exports: [KeycloakAuthGuard, KeycloakTokenVerifier, UserUpsertService, AUTH_OPTIONS],
    };
  }
}
