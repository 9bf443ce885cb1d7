import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { hashProjectToken, looksLikeProjectToken } from '@pantheon/crypto';
import { DbService, ProjectRepository, ProjectTokenRepository } from '@pantheon/db';

/** The caller of a gateway route: a project's tools API or VM, acting for the project's owner. */
export interface ProjectPrincipal {
  userId: string;
  projectId: string;
  tokenId: string;
}

interface GatewayRequest {
  headers: Record<string, string | string[] | undefined>;
  projectPrincipal?: ProjectPrincipal;
}

function header(req: GatewayRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The token from `Authorization: Bearer` (OpenAI clients) or `x-api-key` (Anthropic clients). */
export function presentedToken(req: GatewayRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
  return bearer ?? header(req, 'x-api-key');
}

/**
 * Authenticates gateway calls with a project token: known hash, not revoked, not expired, project still
 * live. An optional `X-Pantheon-Project` header must name the token's own project (403 otherwise).
 */
@Injectable()
export class ProjectTokenGuard implements CanActivate {
  constructor(
    private readonly db: DbService,
    private readonly tokens: ProjectTokenRepository,
    private readonly projects: ProjectRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    const raw = presentedToken(req);
    if (!raw || !looksLikeProjectToken(raw)) throw new UnauthorizedException('A valid project token is required');
    const hashHex = hashProjectToken(raw).toString('hex');
    const principal = await this.db.withTokenHash(hashHex, async (tx) => {
      const token = await this.tokens.findByHash(tx, hashProjectToken(raw));
      if (!token || token.revokedAt || token.expiresAt.getTime() <= Date.now()) return null;
      await this.db.enterUserScope(tx, token.userId);
      const project = await this.projects.findLive(tx, token.projectId);
      if (!project || project.status === 'deleting') return null;
      await this.tokens.touch(tx, token.id);
      return { userId: token.userId, projectId: token.projectId, tokenId: token.id };
    });
    if (!principal) throw new UnauthorizedException('The project token is unknown, expired or revoked');
    const named = header(req, 'x-pantheon-project');
    if (named !== undefined && named !== principal.projectId) {
      throw new ForbiddenException('This project token belongs to another project');
    }
    req.projectPrincipal = principal;
    return true;
  }
}
