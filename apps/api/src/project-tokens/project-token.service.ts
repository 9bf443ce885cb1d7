import { Injectable } from '@nestjs/common';
import type { AuthUser, RequestMeta } from '@pantheon/auth';
import { generateProjectToken } from '@pantheon/crypto';
import { AuditLogRepository, DbService, ProjectRepository, ProjectTokenRepository } from '@pantheon/db';
import { DomainError } from '../common/domain.error';
import { GatewayCache } from '../gateway-cache/gateway-cache';
import { CreateProjectTokenDto, IssuedProjectTokenResponseDto, mapProjectToken, ProjectTokenResponseDto } from './project-token.dto';

/** Tokens a user issues for their own agents to call the LLM gateway as one of their projects. */
@Injectable()
export class ProjectTokenService {
  constructor(
    private readonly db: DbService,
    private readonly projects: ProjectRepository,
    private readonly tokens: ProjectTokenRepository,
    private readonly audit: AuditLogRepository,
    private readonly gatewayCache: GatewayCache,
  ) {}

  issue(user: AuthUser, projectId: string, dto: CreateProjectTokenDto, meta: RequestMeta): Promise<IssuedProjectTokenResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      if (!(await this.projects.findLive(tx, projectId))) throw DomainError.notFound('Project');
      const issued = generateProjectToken();
      const record = await this.tokens.create(tx, {
        userId: user.id,
        projectId,
        name: dto.name,
        hash: issued.hash,
        prefix: issued.displayPrefix,
        expiresAt: new Date(Date.now() + (dto.ttl_hours ?? 24) * 3600_000),
      });
      await this.audit.append(tx, {
        userId: user.id, action: 'project_token.issued', targetType: 'project_token', targetId: record.id,
        metadata: { project_id: projectId, name: dto.name, prefix: issued.displayPrefix }, ...meta,
      });
      return { ...mapProjectToken(record), token: issued.token };
    });
  }

  list(user: AuthUser, projectId: string): Promise<ProjectTokenResponseDto[]> {
    return this.db.withUser(user.id, async (tx) => {
      if (!(await this.projects.findLive(tx, projectId))) throw DomainError.notFound('Project');
      return (await this.tokens.listForProject(tx, projectId)).map(mapProjectToken);
    });
  }

  /** Refused by the gateway from the moment this returns, in every API process (GatewayCache). */
  revoke(user: AuthUser, projectId: string, tokenId: string, meta: RequestMeta): Promise<void> {
    return this.gatewayCache.invalidating(user.id, this.db.withUser(user.id, async (tx) => {
      if (!(await this.tokens.revoke(tx, projectId, tokenId))) throw DomainError.notFound('Project token');
      await this.audit.append(tx, {
        userId: user.id, action: 'project_token.revoked', targetType: 'project_token', targetId: tokenId,
        metadata: { project_id: projectId }, ...meta,
      });
    }));
  }
}
