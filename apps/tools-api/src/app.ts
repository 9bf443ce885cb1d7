import { createServer, type Server } from 'node:http';
import { BearerAuth } from './auth/bearer-auth';
import { SecretFile } from './auth/secret-file';
import { unavailableDesktopFactory, type DesktopFactory } from './computer/desktop.factory';
import type { ToolsApiConfig } from './config/tools-api.config';
import { GuestAgentClient } from './guest-agent/guest-agent.client';
import { healthRoutes } from './health/health.routes';
import { HealthService } from './health/health.service';
import { handleRequest } from './http/request-handler';
import { Router } from './http/router';
import type { JsonLogger } from './logging/json-logger';
import { mcpRoutes } from './mcp/mcp.routes';
import { createMcpServer } from './mcp/mcp.server';
import { VmStatusService } from './mcp/vm-status.service';
import { vmRoutes } from './vm/vm.routes';
import { PlatformClient } from './vm-env/platform.client';
import { VmEnvPusher } from './vm-env/vm-env.pusher';
import { ViewerClient } from './vnc/viewer.client';

/** Base URL of a port on the VM; `vmHost` is a validated IPv4 literal. */
function vmUrl(host: string, port: number): URL {
  return new URL(`http://${host}:${port}/`);
}

export interface ToolsApiDeps {
  /** Builds the one Desktop of this process (screen and input over RFB); default: none available. */
  createDesktop?: DesktopFactory;
}

/**
 * Wires clients, services and routes into an HTTP server that is not listening yet. The gateway token file
 * (renewed by the worker) is re-read when it changes; every inbound route but `/live` needs the credential
 * in `config.credentialFile`. The Desktop is created here and closed with the server; with a gateway URL and an
 * agent token, the VM's environment is kept current while the server listens (VmEnvPusher).
 */
export function createToolsApiServer(config: ToolsApiConfig, logger: JsonLogger, deps: ToolsApiDeps = {}): Server {
  const auth = new BearerAuth(new SecretFile(config.credentialFile));
  const viewer = new ViewerClient(vmUrl(config.vmHost, config.vmViewerPort), config.healthTimeoutMs);
  const agentToken = config.guestAgentTokenFile === null ? null : new SecretFile(config.guestAgentTokenFile);
  const agent = new GuestAgentClient(vmUrl(config.vmHost, config.guestAgentPort), config.healthTimeoutMs, agentToken);
  const projectToken = new SecretFile(config.projectTokenFile);
  const health = new HealthService(config.projectId, { viewer, agent }, projectToken);
  const desktop = (deps.createDesktop ?? unavailableDesktopFactory)({
    host: config.vmHost,
    port: config.vmVncPort,
    maxWidth: config.screenshotMaxWidth,
    logger,
  });
  const status = new VmStatusService(desktop, { viewer, agent });
  const router = new Router([
    ...healthRoutes(health),
    ...vmRoutes(agent),
    ...mcpRoutes(() => createMcpServer({ desktop, agent, status, logger })),
  ]);
  // The VM user's environment (gateway URLs and a short-lived token for coding agents), once the server listens.
  const vmEnv =
    config.gatewayUrl === null || agentToken === null
      ? null
      : new VmEnvPusher({ agent, platform: new PlatformClient(config.gatewayUrl, config.projectId, projectToken), gatewayUrl: config.gatewayUrl, logger });
  const server = createServer((req, res) => {
    // handleRequest answers every error itself; this only guards against a failure while logging.
    handleRequest(router, auth, logger, req, res).catch(() => res.destroy());
  });
  server.once('listening', () => vmEnv?.start());
  server.once('close', () => {
    vmEnv?.stop();
    desktop.close().catch(() => logger.error('desktop close failed'));
  });
  return server;
}
