import { createServer, type Server } from 'node:http';
import { BearerAuth } from './auth/bearer-auth';
import { SecretFile } from './auth/secret-file';
import type { ToolsApiConfig } from './config/tools-api.config';
import { GuestAgentClient } from './guest-agent/guest-agent.client';
import { healthRoutes } from './health/health.routes';
import { HealthService } from './health/health.service';
import { handleRequest } from './http/request-handler';
import { Router } from './http/router';
import type { JsonLogger } from './logging/json-logger';
import { vmRoutes } from './vm/vm.routes';
import { ViewerClient } from './vnc/viewer.client';

/** Base URL of a port on the VM; `vmHost` is a validated IPv4 literal. */
function vmUrl(host: string, port: number): URL {
  return new URL(`http://${host}:${port}/`);
}

/**
 * Wires clients, services and routes into an HTTP server that is not listening yet. The gateway token file
 * (renewed by the worker) is re-read when it changes; every inbound route but `/live` needs the credential
 * in `config.credentialFile`.
 */
export function createToolsApiServer(config: ToolsApiConfig, logger: JsonLogger): Server {
  const auth = new BearerAuth(new SecretFile(config.credentialFile));
  const viewer = new ViewerClient(vmUrl(config.vmHost, config.vmViewerPort), config.healthTimeoutMs);
  const agent = new GuestAgentClient(vmUrl(config.vmHost, config.guestAgentPort), config.healthTimeoutMs);
  const projectToken = new SecretFile(config.projectTokenFile);
  const health = new HealthService(config.projectId, { viewer, agent }, projectToken);
  const router = new Router([...healthRoutes(health), ...vmRoutes(agent)]);
  return createServer((req, res) => {
    // handleRequest answers every error itself; this only guards against a failure while logging.
    handleRequest(router, auth, logger, req, res).catch(() => res.destroy());
  });
}
