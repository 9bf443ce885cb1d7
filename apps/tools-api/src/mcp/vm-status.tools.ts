import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { JsonLogger } from '../logging/json-logger';
import { failureResult, textResult } from './tool-result';
import type { VmStatusService } from './vm-status.service';

/** `vm_status`: where the VM is on its way to a usable desktop. */
export function registerVmStatusTool(server: McpServer, deps: { status: VmStatusService; logger: JsonLogger }): void {
  server.registerTool(
    'vm_status',
    {
      title: 'VM status',
      description:
        "The project VM's phase as JSON: booting (the VM is starting; no screen yet), installing (Windows setup " +
        'runs; the screen works, the guest tools do not), desktop (Windows runs, the guest agent is not answering), ' +
        'agent_ready (everything works). Also the screen size, the viewer and the agent version. A fresh VM ' +
        'takes several minutes from booting to agent_ready.',
      inputSchema: z.strictObject({}),
      annotations: { readOnlyHint: true },
    },
    async () => {
      try {
        return textResult(JSON.stringify(await deps.status.report()));
      } catch (error) {
        return failureResult(error, 'vm_status', deps.logger);
      }
    },
  );
}
