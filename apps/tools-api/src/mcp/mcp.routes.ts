import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { StreamRoute } from '../http/router';

export const MCP_PATH = '/mcp';

/** JSON-RPC error for the methods stateless mode does not offer (no server-initiated stream, no session). */
function methodNotAllowed(res: ServerResponse): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: use POST' }, id: null });
  res.writeHead(405, { allow: 'POST', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * `POST /mcp`: MCP over Streamable HTTP in stateless mode, a fresh server and transport per request. Why
 * stateless: the tools keep no per-client state (the desktop connection is per process), so sessions would
 * only add a map to bound and expire, and would tie a client to one replica behind the API's relay. JSON
 * answers (no SSE): every tool call is one bounded request. `GET` (server-initiated stream) and `DELETE`
 * (session end) answer 405, which the MCP clients expect from a stateless server.
 * Authentication happened before routing (BearerAuth covers every path but /live).
 */
export function mcpRoutes(createServer: () => McpServer): StreamRoute[] {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return methodNotAllowed(res);
    const server = createServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.once('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  return (['POST', 'GET', 'DELETE'] as const).map((method) => ({ method, path: MCP_PATH, serve }));
}
