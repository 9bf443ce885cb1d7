import { Injectable } from '@nestjs/common';
import { AuthUser, RequestMeta } from '@pantheon/auth';
import { AuditLogRepository, DbService, ProjectGatewayRepository, ProjectRepository } from '@pantheon/db';
import { MODEL_REF_PATTERN } from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { GatewayCache } from '../gateway-cache/gateway-cache';
import { ALIAS_NAME_PATTERN, MAX_ALIASES, mapProjectGateway, ProjectGatewayDto, ProjectGatewayResponseDto } from './project-gateway.dto';

/** A project's LLM-gateway routing table: which model serves each name a coding agent asks for. */
@Injectable()
export class ProjectGatewayService {
  constructor(
    private readonly db: DbService,
    private readonly projects: ProjectRepository,
    private readonly routes: ProjectGatewayRepository,
    private readonly audit: AuditLogRepository,
    private readonly gatewayCache: GatewayCache,
  ) {}

  get(user: AuthUser, projectId: string): Promise<ProjectGatewayResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      if (!(await this.projects.findLive(tx, projectId))) throw DomainError.notFound('Project');
      return mapProjectGateway(projectId, await this.routes.find(tx, projectId));
    });
  }

  set(user: AuthUser, projectId: string, dto: ProjectGatewayDto, meta: RequestMeta): Promise<ProjectGatewayResponseDto> {
    const aliases = checkAliases(dto.aliases);
    return this.gatewayCache.invalidating(user.id, this.db.withUser(user.id, async (tx) => {
      if (!(await this.projects.findLive(tx, projectId))) throw DomainError.notFound('Project');
      const saved = await this.routes.upsert(tx, user.id, projectId, {
        defaultModel: dto.default_model,
        reasoningModel: dto.reasoning_model,
        smallModel: dto.small_model,
        aliases,
      });
      await this.audit.append(tx, {
        userId: user.id,
        action: 'project.gateway_set',
        targetType: 'project',
        targetId: projectId,
        metadata: { default_model: dto.default_model, reasoning_model: dto.reasoning_model, small_model: dto.small_model, aliases: Object.keys(aliases).length },
        ...meta,
      });
      return mapProjectGateway(projectId, saved);
    }));
  }
}

/** The alias map's names and targets (class-validator checks its type only). */
function checkAliases(raw: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(raw);
  if (entries.length > MAX_ALIASES) throw new DomainError(DomainErrorCode.INVALID, `aliases may hold at most ${MAX_ALIASES} names`);
  const out: Record<string, string> = {};
  for (const [name, ref] of entries) {
    if (!ALIAS_NAME_PATTERN.test(name)) throw new DomainError(DomainErrorCode.INVALID, 'aliases: each name must be 1-200 letters, digits or . _ : @ / -');
    if (typeof ref !== 'string' || !MODEL_REF_PATTERN.test(ref)) {
      throw new DomainError(DomainErrorCode.INVALID, `aliases.${name} must look like provider/model, e.g. openai/gpt-4o`);
    }
    out[name] = ref;
  }
  return out;
}
