import { DynamicModule, Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule, KeycloakAuthGuard } from '@pantheon/auth';
import { APP_CONFIG, AppConfig, ConfigModule } from '@pantheon/config';
import { DbModule } from '@pantheon/db';
import { MetricsModule } from '@pantheon/metrics';
import { REDIS, RedisModule } from '@pantheon/events';
import type Redis from 'ioredis';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { httpLoggerOptions, stdoutLogStream } from './common/logger.options';
import type { NextFunction, Request, Response } from 'express';
import { RedisAuthAttemptLimiter } from './common/auth-attempts.limiter';
import { bodyShapeMiddleware, GATEWAY_MAX_BODY_NODES } from './common/body-shape.middleware';
import { jsonBodyMiddleware } from './common/json-body.middleware';
import { ProjectMcpModule } from './project-mcp/project-mcp.module';
import { RedisThrottlerStorage } from './common/throttler-storage';
import { UserThrottlerGuard } from './common/user-throttler.guard';
import { AuditModule } from './audit/audit.module';
import { ChatModule } from './chat/chat.module';
import { GatewayCacheModule } from './gateway-cache/gateway-cache.module';
import { HealthModule } from './health/health.module';
import { LlmProxyModule } from './llm-proxy/llm-proxy.module';
import { ApiMetricsModule } from './metrics/api-metrics.module';
import { ModelsModule } from './models/models.module';
import { ProjectTokensModule } from './project-tokens/project-tokens.module';
import { ProjectModule } from './projects/project.module';
import { ProjectGatewayModule } from './project-gateway/project-gateway.module';
import { ProviderKeysModule } from './provider-keys/provider-keys.module';
import { RealtimeModule } from './realtime/realtime.module';
import { SettingsModule } from './settings/settings.module';
import { UsageModule } from './usage/usage.module';
import { UsersModule } from './users/users.module';
import { ViewerModule } from './viewer/viewer.module';

export interface AppModuleOptions {
  config: AppConfig;
  /** Where JSON log lines go (stdout by default; tests capture them). */
  logStream?: DestinationStream;
}

const list = (csv: string): string[] => csv.split(',').map((s) => s.trim()).filter(Boolean);

/** `/api/projects/<id>/mcp`, the one route whose body is not parsed as JSON by the API. */
const MCP_RELAY_PATH = /^\/api\/projects\/[^/]+\/mcp\/?$/;
/** The LLM gateway's provider-style paths: real agents' bodies, with their own limits. */
const GATEWAY_PATH = /^\/v1(\/|$)/;

@Module({})
export class AppModule implements NestModule {
  static forRoot({ config, logStream }: AppModuleOptions): DynamicModule {
    // One instance, shared with the realtime sockets (RealtimeModule imports it by reference).
    const auth = AuthModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => ({
        authServerUrl: c.KEYCLOAK_URL,
        realm: c.KEYCLOAK_REALM,
        clientId: c.KEYCLOAK_CLIENT_ID,
        verifyAudience: c.KEYCLOAK_VERIFY_AUDIENCE,
        allowedAzp: list(c.KEYCLOAK_ALLOWED_AZP),
        requiredRole: c.AUTH_REQUIRED_ROLE,
        jwksCacheTtlMs: c.AUTH_JWKS_CACHE_TTL_S * 1000,
        jwksMinRefreshMs: c.AUTH_JWKS_MIN_REFRESH_S * 1000,
        tokenCacheTtlMs: c.AUTH_TOKEN_CACHE_TTL_S * 1000,
        userCacheTtlMs: c.AUTH_USER_CACHE_TTL_S * 1000,
      }),
      // Failed authentications per client address, counted in Redis so replicas share them.
      attemptLimiter: {
        inject: [APP_CONFIG, REDIS],
        useFactory: (c: AppConfig, redis: Redis) =>
          new RedisAuthAttemptLimiter(new RedisThrottlerStorage(redis), {
            failureLimit: c.AUTH_FAILURE_LIMIT,
            failureWindowMs: c.AUTH_FAILURE_WINDOW_S * 1000,
            handshakeLimit: c.WS_HANDSHAKE_LIMIT,
            handshakeWindowMs: c.WS_HANDSHAKE_WINDOW_S * 1000,
          }),
      },
    });
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: [httpLoggerOptions(config), logStream ?? stdoutLogStream()] }),
        RedisModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({ url: c.REDIS_URL, keyPrefix: c.REDIS_PREFIX, connectionName: 'pantheon-api' }),
        }),
        DbModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({
            connectionString: c.DATABASE_URL,
            poolMax: c.DATABASE_POOL_MAX,
            applicationName: 'pantheon-api',
            migrationConnectionString: c.MIGRATE_ON_BOOT ? c.DATABASE_MIGRATION_URL : undefined,
          }),
        }),
        // /metrics on its own internal listener (METRICS_HOST:METRICS_PORT), never on the public port.
        MetricsModule.forRootAsync({ inject: [APP_CONFIG], useFactory: (c: AppConfig) => ({ host: c.METRICS_HOST, port: c.METRICS_PORT }) }),
        ApiMetricsModule,
        auth,
        ThrottlerModule.forRootAsync({
          inject: [APP_CONFIG, REDIS],
          useFactory: (c: AppConfig, redis: Redis) => ({
            throttlers: [{ name: 'default', ttl: c.RATE_LIMIT_TTL_MS, limit: c.RATE_LIMIT_MAX }],
            errorMessage: 'Too many requests; retry after the number of seconds in the Retry-After header',
            // Counters live in Redis so every API replica enforces the same budget.
            storage: new RedisThrottlerStorage(redis),
          }),
        }),
        HealthModule,
        GatewayCacheModule,
        UsersModule,
        SettingsModule,
        AuditModule,
        ProviderKeysModule,
        ModelsModule,
        UsageModule,
        ChatModule,
        ProjectModule,
        ProjectGatewayModule,
        ProjectTokensModule,
        LlmProxyModule,
        ProjectMcpModule,
        ViewerModule,
        RealtimeModule.forRoot(auth),
      ],
      // Global guards run in this order: authenticate first, so the rate limit can count per user.
      providers: [
        { provide: APP_GUARD, useExisting: KeycloakAuthGuard },
        { provide: APP_GUARD, useClass: UserThrottlerGuard },
      ],
    };
  }

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * Body parsing runs as Nest middleware (not bare Express) so malformed and oversize bodies reach the
   * exception filter and get the same JSON error shape as everything else.
   */
  configure(consumer: MiddlewareConsumer): void {
    const pathOf = (req: Request) => req.originalUrl.split('?')[0] ?? '';
    const restBody = [jsonBodyMiddleware(this.config.BODY_LIMIT), bodyShapeMiddleware()];
    // Coding agents send tens of MB (images, long histories) and tool schemas nested far deeper than 8.
    const gatewayBody = [
      jsonBodyMiddleware(this.config.GATEWAY_BODY_LIMIT),
      bodyShapeMiddleware({ maxDepth: this.config.GATEWAY_BODY_MAX_DEPTH, maxNodes: GATEWAY_MAX_BODY_NODES }),
    ];
    // The MCP relay streams its body through unparsed (the tools API validates it; file writes are large).
    const pick = (i: number) => (req: Request, res: Response, next: NextFunction) => {
      const path = pathOf(req);
      if (MCP_RELAY_PATH.test(path)) return next();
      return (GATEWAY_PATH.test(path) ? gatewayBody : restBody)[i]!(req, res, next);
    };
    consumer.apply(pick(0), pick(1)).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
