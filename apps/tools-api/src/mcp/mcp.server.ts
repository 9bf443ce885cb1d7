import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Desktop } from '../computer/computer.types';
import type { GuestAgentClient } from '../guest-agent/guest-agent.client';
import type { JsonLogger } from '../logging/json-logger';
import { registerComputerTools } from './computer.tools';
import { registerGuestTools } from './guest.tools';
import { registerVmStatusTool } from './vm-status.tools';
import type { VmStatusService } from './vm-status.service';

export interface McpServerDeps {
  desktop: Desktop;
  agent: Pick<GuestAgentClient, 'call'>;
  status: VmStatusService;
  logger: JsonLogger;
}

export const MCP_SERVER_NAME = 'pantheon-tools';
export const MCP_SERVER_VERSION = '1.0.0';

/**
 * One MCP server with every tool of the project. Cheap to build (no I/O): the route builds one per request;
 * the long-lived state (the desktop's RFB connection, the agent's "seen" flag) lives in the deps.
 */
export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        "Tools for this project's Windows 11 VM. Call vm_status first: the computer tools (screen, mouse, keyboard) " +
        'work once the screen is up, the guest tools (shell, files, clipboard, windows, apps, type_text) once the ' +
        'phase is agent_ready.',
    },
  );
  registerComputerTools(server, deps);
  registerVmStatusTool(server, deps);
  registerGuestTools(server, deps);
  return server;
}
