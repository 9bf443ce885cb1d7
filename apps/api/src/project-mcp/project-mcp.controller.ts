import { All, Controller, Param, PayloadTooLargeException, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AlternateBearer } from '@pantheon/auth';
import { PROJECT_TOKEN_PREFIX } from '@pantheon/crypto';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { clientGone } from '../common/sse';
import { IdParamDto } from '../common/id-param.dto';
import { mcpCallerId, ProjectMcpGuard } from './project-mcp.guard';
import { ProjectMcpRelay } from './project-mcp.relay';

/** Largest MCP request relayed: a file_write of 16 MiB in base64, plus its JSON-RPC envelope. */
export const MCP_RELAY_BODY_LIMIT = 24 * 1024 * 1024;

/** Streams the request body through, failing once it passes the limit (a lying content-length included). */
async function* capped(req: Request, limit: number): AsyncIterable<Uint8Array> {
  let seen = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    seen += chunk.length;
    if (seen > limit) throw new PayloadTooLargeException(`MCP request body is too large (limit ${limit} bytes)`);
    yield chunk;
  }
}

/**
 * The project's MCP server for the owner's own MCP clients (Streamable HTTP), relayed to its tools API.
 * Authenticated by the owner's Keycloak token or a project token of this project.
 */
@ApiTags('projects')
@ApiBearerAuth()
@AlternateBearer(PROJECT_TOKEN_PREFIX)
@UseGuards(ProjectMcpGuard)
@Controller('projects/:id/mcp')
export class ProjectMcpController {
  constructor(private readonly relay: ProjectMcpRelay) {}

  @All()
  @ApiOperation({ summary: "The project's MCP endpoint (Streamable HTTP): POST JSON-RPC, GET for the event stream, DELETE a session" })
  async relayMcp(@Param() { id }: IdParamDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (Number(req.headers['content-length'] ?? 0) > MCP_RELAY_BODY_LIMIT) {
      throw new PayloadTooLargeException(`MCP request body is too large (limit ${MCP_RELAY_BODY_LIMIT} bytes)`);
    }
    const signal = clientGone(res);
    const upstream = await this.relay.open({
      userId: mcpCallerId(req as never),
      projectId: id,
      method: req.method,
      headers: req.headers,
      body: capped(req, MCP_RELAY_BODY_LIMIT),
      signal,
    });
    res.status(upstream.status);
    for (const [name, value] of Object.entries(upstream.headers)) res.setHeader(name, value);
    if (!upstream.body) {
      res.end();
      return;
    }
    // SSE answers stream as they come; nothing is buffered.
    res.flushHeaders();
    const body = Readable.fromWeb(upstream.body as never);
    body.on('error', () => res.destroy());
    body.pipe(res);
  }
}
