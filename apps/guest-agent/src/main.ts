import { AgentOptionsError, AGENT_USAGE, parseAgentOptions } from './agent-options';
import { createAgentServer } from './agent.server';
import { LinuxAdapter } from './os/linux.adapter';
import type { OsAdapter } from './os/os-adapter';
import { ChildProcessRunner } from './os/process-runner';
import { WindowsAdapter } from './os/windows.adapter';

/**
 * The Pantheon guest agent. Runs inside the VM from the project's /oem bundle with a bare node binary
 * (node.exe on Windows, started by the PantheonGuestAgent logon task), so it imports node built-ins only.
 */
function main(): void {
  let options;
  try {
    options = parseAgentOptions(process.argv.slice(2), process.env, process.platform);
  } catch (error) {
    if (!(error instanceof AgentOptionsError)) throw error;
    process.stderr.write(`guest-agent: ${error.message}\n${AGENT_USAGE}\n`);
    process.exit(2);
  }
  const runner = new ChildProcessRunner();
  const adapter: OsAdapter = options.adapter === 'windows' ? new WindowsAdapter(runner) : new LinuxAdapter(runner);
  const server = createAgentServer({ adapter, tokenFile: options.tokenFile });
  server.on('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`guest-agent: cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}\n`);
    process.exit(1);
  });
  server.listen(options.port, options.host, () => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', host: options.host, port: options.port, adapter: options.adapter })}\n`);
  });
  // As PID 1 (or under a task) node gets no default signal handlers.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      server.close();
      server.closeAllConnections();
      process.exit(0);
    });
  }
}

main();
