import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { AuthUser } from '@pantheon/auth';
import { ProjectPrincipal, ProjectTokenGuard } from '../project-tokens/project-token.guard';

interface McpRequest {
  headers: Record<string, string | string[] | undefined>;
  params: { id?: string };
  user?: AuthUser;
  projectPrincipal?: ProjectPrincipal;
}

/**
 * The MCP relay takes the owner's Keycloak token (verified by the global guard, which sets `user`) or a
 * project token (verified here): a project token only opens its own project.
 */
@Injectable()
export class ProjectMcpGuard implements CanActivate {
  constructor(private readonly projectTokens: ProjectTokenGuard) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<McpRequest>();
    if (req.user) return true;
    await this.projectTokens.canActivate(context);
    if (req.projectPrincipal?.projectId !== req.params.id) {
      throw new ForbiddenException('This project token belongs to another project');
    }
    return true;
  }
}

/** Who the relay acts for: the owner's id, from either kind of credential. */
export function mcpCallerId(req: McpRequest): string {
  const id = req.user?.id ?? req.projectPrincipal?.userId;
  if (!id) throw new Error('ProjectMcpGuard did not run');
  return id;
}
