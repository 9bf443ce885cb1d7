import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, loadConfig } from '@pantheon/config';
import type { Server } from 'node:http';
import request from 'supertest';
import { createApp } from '../../apps/api/src/app.factory';
import { OidcIssuerHandle } from './oidc';

export interface TestApi {
  app: NestExpressApplication;
  server: Server;
  config: AppConfig;
  /** Every JSON log line the app wrote. */
  logs: string[];
  http(): ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * Boots the real API (createApp, as production does) against the run's database and Redis and the given
 * OIDC issuer. Logs are captured in memory so tests can search them for secrets.
 */
export async function startTestApi(issuer: OidcIssuerHandle, env: Record<string, string> = {}): Promise<TestApi> {
  const config = loadConfig({
    ...process.env,
    KEYCLOAK_URL: issuer.authServerUrl,
    KEYCLOAK_REALM: issuer.realm,
    MIGRATE_ON_BOOT: 'false',
    LOG_LEVEL: 'debug',
    RATE_LIMIT_MAX: '100000',
    ...env,
  });
  const logs: string[] = [];
  const app = await createApp({ config, logStream: { write: (line: string) => void logs.push(line) } });
  try {
    await app.init();
  } catch (err) {
    // A refused boot (wrong master key, bad migration) must not leave pools and sockets open.
    await app.close().catch(() => undefined);
    throw err;
  }
  const server = app.getHttpServer() as Server;
  return {
    app,
    server,
    config,
    logs,
    http: () => request(server),
    close: () => app.close(),
  };
}
