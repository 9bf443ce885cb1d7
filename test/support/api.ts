import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, loadConfig } from '@pantheon/config';
import { createApp, flushUsage } from '@pantheon/api/testing';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import { userClient, UserClient } from './client';
import { OidcIssuerHandle } from './oidc';

export interface TestApi {
  app: NestExpressApplication;
  server: Server;
  config: AppConfig;
  /** Every JSON log line the app wrote. */
  logs: string[];
  /** Requests without credentials. */
  http(): ReturnType<typeof request>;
  /** Requests, sockets and project waits as `user` (its bearer token on each). */
  as(user: { token: string }): UserClient;
  /** Starts listening on a loopback port (once); resolves with the origin, http://127.0.0.1:<port>. */
  listen(): Promise<string>;
  /** The origin, once listen() has resolved. */
  url(): string;
  /** Writes the usage rows the app has queued (metered calls write theirs in batches): read usage_events after it. */
  flushUsage(): Promise<void>;
  /** Disconnects the sockets opened through as(), then closes the app. */
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
    // Every suite's API counts attempts from 127.0.0.1 under the run's Redis prefix; suites about these limits set them.
    AUTH_FAILURE_LIMIT: '100000',
    WS_HANDSHAKE_LIMIT: '100000',
    // Several APIs may run in one test process: each gets a free port for its internal /metrics listener.
    METRICS_PORT: '0',
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
  const sockets = new Set<Socket>();
  let origin: string | undefined;
  let listening: Promise<string> | undefined;
  const listen = () =>
    (listening ??= app.listen(0, '127.0.0.1').then(() => (origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  const target = { server, wsPath: config.WS_PATH, listen, track: (s: Socket) => void sockets.add(s) };
  return {
    app,
    server,
    config,
    logs,
    http: () => request(server),
    as: (user) => userClient(target, user),
    listen,
    flushUsage: () => flushUsage(app),
    url: () => {
      if (!origin) throw new Error('the test API is not listening: await api.listen() first');
      return origin;
    },
    close: async () => {
      for (const s of sockets) s.disconnect();
      await app.close();
    },
  };
}
