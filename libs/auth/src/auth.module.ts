import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_OPTIONS, AuthModuleOptions } from './auth.types';
import { KeycloakAuthGuard } from './keycloak.guard';
import { KeycloakTokenVerifier } from './keycloak-token.verifier';
import { UserUpsertService } from './user-upsert.service';

@Module({})
export class AuthModule {
  /** Registers the global bearer guard. Import once, in the API's root module only (never in workers). */
  static forRootAsync(opts: { useFactory: (...args: any[]) => AuthModuleOptions; inject?: any[] }): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_OPTIONS, useFactory: opts.useFactory, inject: opts.inject ?? [] },
        KeycloakTokenVerifier,
        UserUpsertService,
        { provide: APP_GUARD, useClass: KeycloakAuthGuard },
      ],
      exports: [KeycloakTokenVerifier, UserUpsertService, AUTH_OPTIONS],
    };
  }
}
