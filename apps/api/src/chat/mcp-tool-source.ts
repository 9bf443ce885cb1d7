import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ToolDefinition } from '@pantheon/providers';
import type { ToolOutcome, ToolSource } from './tool-loop';

/** A project's tools over MCP (Streamable HTTP), as served by its tools API. */
export class McpToolSource implements ToolSource {
  private constructor(private readonly client: Client) {}

  /** Connects to `url` (e.g. `http://172.30.n.1:8090/mcp`), authenticating with the project token if given. */
  static async connect(url: string, opts: { token?: string; signal?: AbortSignal } = {}): Promise<McpToolSource> {
    const client = new Client({ name: 'pantheon-chat', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: opts.token ? { headers: { Authorization: `Bearer ${opts.token}` } } : undefined,
    });
    await client.connect(transport, { signal: opts.signal });
    return new McpToolSource(client);
  }

  async listTools(): Promise<ToolDefinition[]> {
    const { tools } = await this.client.listTools();
    return tools.map((t) => ({ name: t.name, description: t.description, parameters: t.inputSchema as Record<string, unknown> }));
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
    const res = await this.client.callTool({ name, arguments: args });
    const content = (res.content ?? []) as { type: string; text?: string; data?: string; mimeType?: string }[];
    const text = content.filter((c) => c.type === 'text' && typeof c.text === 'string').map((c) => c.text).join('\n');
    const images = content
      .filter((c) => c.type === 'image' && typeof c.data === 'string' && typeof c.mimeType === 'string')
      .map((c) => ({ mimeType: c.mimeType!, data: c.data! }));
    return { text, isError: Boolean(res.isError), ...(images.length ? { images } : {}) };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
