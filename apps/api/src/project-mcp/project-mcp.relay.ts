import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import { DbService, ProjectRepository } from '@pantheon/db';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { runningProjectSubnet } from '../projects/running-project';
import { KEY_RING } from '../provider-keys/key-ring.provider';

/** Request headers of the MCP Streamable HTTP transport that the tools API needs; nothing else is forwarded. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'] as const;
/** Response headers passed back to the client. */
export const FORWARDED_RESPONSE_HEADERS = ['content-type', 'mcp-session-id', 'mcp-protocol-version', 'cache-control'] as const;

export interface McpUpstream {
  status: number;
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array> | null;
}

export interface McpRelayRequest {
  userId: string;
  projectId: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** The client's body, streamed through unparsed (already capped by the caller). */
  body: AsyncIterable<Uint8Array> | null;
  signal: AbortSignal;
}

/**
 * Relays the owner's MCP client to the project's tools API (Streamable HTTP at `TOOLS_MCP_URL_TEMPLATE`),
 * swapping the caller's credential for the tools API's own, which never leaves the platform.
 */
@Injectable()
export class ProjectMcpRelay {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_RING) private readonly ring: KeyRing,
    private readonly db: DbService,
    private readonly projects: ProjectRepository,
  ) {}

  async open(req: McpRelayRequest): Promise<McpUpstream> {
    const url = await this.db.withUser(req.userId, async (tx) => {
      const subnet = runningProjectSubnet(await this.projects.findLive(tx, req.projectId), 'its tools are not available');
      return this.config.TOOLS_MCP_URL_TEMPLATE.replace('{tools_ip}', subnet.tools);
    });
    const headers: Record<string, string> = { authorization: `Bearer ${toolsApiCredential(this.ring, req.projectId)}` };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method: req.method,
        headers,
        body: req.body && req.method !== 'GET' && req.method !== 'HEAD' ? (Readable.from(req.body) as unknown as NonNullable<RequestInit['body']>) : undefined,
        signal: req.signal,
        redirect: 'manual',
        // Node's fetch needs this to stream a request body.
        ...({ duplex: 'half' } as object),
      });
    } catch {
      if (req.signal.aborted) throw new DomainError(DomainErrorCode.DEPENDENCY_UNAVAILABLE, 'The client went away');
      throw new DomainError(DomainErrorCode.DEPENDENCY_UNAVAILABLE, "The project's tools API did not answer");
    }
    const out: Record<string, string> = {};
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) out[name] = value;
    }
    // The tools API's own 401 would mean the platform's credential is wrong, not the caller's.
    if (response.status === 401) {
      await response.body?.cancel();
      throw new DomainError(DomainErrorCode.DEPENDENCY_UNAVAILABLE, "The project's tools API refused the platform's credential");
    }
    return { status: response.status, headers: out, body: response.body };
  }
}
