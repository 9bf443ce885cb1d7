import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface ToolCallRecord {
  name: string;
  args: unknown;
  /** The Authorization header the call came with. */
  auth?: string;
}

/**
 * A real MCP server (the SDK's, over Streamable HTTP) standing in for a project's tools API: `get_weather`, and
 * with `screenshotPng` a `computer` tool whose screenshot action returns that PNG as image content.
 */
export function startMcpServer(calls: ToolCallRecord[], options: { screenshotPng?: Buffer } = {}): Promise<Server> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const mcp = new McpServer({ name: 'stand-in-tools', version: '1.0.0' });
    mcp.registerTool(
      'get_weather',
      { description: 'Current weather for a city', inputSchema: { city: z.string() } },
      async ({ city }) => {
        calls.push({ name: 'get_weather', args: { city }, auth: req.headers.authorization });
        return { content: [{ type: 'text', text: `sunny in ${city}` }] };
      },
    );
    const png = options.screenshotPng;
    if (png) {
      mcp.registerTool(
        'computer',
        { description: 'Screen, mouse and keyboard', inputSchema: { action: z.enum(['screenshot', 'left_click']) } },
        async ({ action }) => {
          calls.push({ name: 'computer', args: { action }, auth: req.headers.authorization });
          return { content: [{ type: 'text', text: 'screenshot' }, { type: 'image', data: png.toString('base64'), mimeType: 'image/png' }] };
        },
      );
    }
    // Stateless: one server and transport per request.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close());
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

