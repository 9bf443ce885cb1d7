import { RequestMethod, ValidationPipe } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig, loadConfig } from '@pantheon/config';
import { RedisIoAdapter } from '@pantheon/events';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { apiProcessCount } from './cluster';
import { trustFromConfig } from './common/client-address';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { ApiMetrics } from './metrics/api.metrics';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';

export interface CreateAppOptions {
  config?: AppConfig;
  logStream?: DestinationStream;
}

/** Builds the API exactly as production runs it; tests use the same function with their own config. */
export async function createApp(opts: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const config = opts.config ?? loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, logStream: opts.logStream }), {
    bufferLogs: true,
    // Parsed by our own middleware (size limit + shape check) so errors get our JSON shape.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // First, so that every request is timed, including those refused by later middleware and guards.
  app.use(httpMetricsMiddleware(app.get(ApiMetrics)));
  // X-Forwarded-For is believed only from the configured proxies (none by default): VMs and tools containers
  // share networks with the API and must not choose the address they are limited and audited under.
  app.set('trust proxy', trustFromConfig(config));
  app.disable('x-powered-by');
  app.use(helmet());
  // Anthropic-format clients probe the base URL with `HEAD /` before their first request; answer it plainly.
  app.use((req: Request, res: Response, next: NextFunction) => (req.method === 'HEAD' && req.path === '/' ? res.status(200).end() : next()));
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  app.enableCors({ origin: origins.length ? origins : false, credentials: true, exposedHeaders: ['x-request-id'] });
  // socket.io on the same HTTP server, at WS_PATH, sharing rooms with every replica through Redis.
  app.useWebSocketAdapter(
    new RedisIoAdapter(app, {
      redisUrl: config.REDIS_URL,
      redisPrefix: config.REDIS_PREFIX,
      path: config.WS_PATH,
      corsOrigins: origins,
      // Several processes behind one port (API_WORKERS): a long-polling session's requests would land on different
      // processes, so only WebSocket is offered (a polling client gets a clear 400 "Transport unknown").
      websocketOnly: apiProcessCount(config) > 1,
    }),
  );
  // The LLM gateway keeps the provider-style paths (/v1/...) that OpenAI and Anthropic clients expect; the
  // browser side of "Connect" (ticket links, noVNC's files under a session's path) lives at /viewer/....
  app.setGlobalPrefix('api', {
    exclude: ['health', 'ready', { path: 'v1/*path', method: RequestMethod.ALL }, { path: 'viewer/*path', method: RequestMethod.GET }],
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
    }),
  );
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Pantheon API')
      .setDescription('Projects, provider keys, settings and audit for Pantheon users. Authenticate with a Keycloak access token.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  return app;
}
