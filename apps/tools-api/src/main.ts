import { createToolsApiServer } from './app';
import { VncDesktop } from './computer/vnc.desktop';
import { ConfigError, loadToolsApiConfig, type ToolsApiConfig } from './config/tools-api.config';
import { JsonLogger } from './logging/json-logger';

/** In-flight requests get this long after SIGTERM; Docker's own stop timeout is 10 s. */
const SHUTDOWN_GRACE_MS = 5_000;

function main(): void {
  const bootLogger = new JsonLogger(process.stdout, { service: 'tools-api' });
  let config: ToolsApiConfig;
  try {
    config = loadToolsApiConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    bootLogger.error(`invalid configuration: ${error.message}`, { variables: error.variables.join(',') });
    process.exitCode = 1;
    return;
  }

  const logger = new JsonLogger(process.stdout, { service: 'tools-api', project_id: config.projectId });
  // One persistent RFB connection to the VM's VNC server for the life of the process.
  const server = createToolsApiServer(config, logger, { createDesktop: ({ host, port, maxWidth }) => new VncDesktop({ host, port, maxWidth }) });
  server.on('error', (error: NodeJS.ErrnoException) => {
    logger.error('server error', { code: error.code ?? null, error: error.message });
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    logger.info('listening', { host: config.host, port: config.port, vm_host: config.vmHost });
  });

  // As PID 1 in its container node has no default signal handlers: without these `docker stop` waits
  // for its timeout and kills the process mid-request. `once`: a second signal terminates at once.
  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info('stopping', { signal });
    server.close(() => {
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main();
