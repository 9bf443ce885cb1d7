import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser, RequestMeta } from '@pantheon/auth';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { AuditLogRepository, CustomModelRepository, DbService, isUniqueViolation } from '@pantheon/db';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { PageQueryDto, pageInfo } from '../common/pagination.dto';
import { CreateCustomModelDto, CustomModelListResponseDto, CustomModelResponseDto, mapCustomModel } from './custom-model.dto';
import { toParameterObject } from '../common/model-parameters.dto';

@Injectable()
export class CustomModelService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly models: CustomModelRepository,
    private readonly audit: AuditLogRepository,
  ) {}

  list(user: AuthUser, page: PageQueryDto): Promise<CustomModelListResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      const { items, total } = await this.models.list(tx, page);
      return { data: items.map(mapCustomModel), page: pageInfo(page, total) };
    });
  }

  async create(user: AuthUser, dto: CreateCustomModelDto, meta: RequestMeta): Promise<CustomModelResponseDto> {
    try {
      return await this.db.withUser(user.id, async (tx) => {
        if ((await this.models.count(tx)) >= this.config.MAX_CUSTOM_MODELS_PER_USER) {
          throw new DomainError(
            DomainErrorCode.LIMIT_REACHED,
            `You can define at most ${this.config.MAX_CUSTOM_MODELS_PER_USER} custom models; delete one first`,
          );
        }
        const created = await this.models.create(tx, {
          userId: user.id,
          provider: dto.provider,
          modelId: dto.model_id,
          displayName: dto.display_name,
          contextLength: dto.context_length ?? null,
          parameters: toParameterObject(dto.parameters),
        });
        await this.audit.append(tx, {
          userId: user.id,
          action: 'custom_model.created',
          targetType: 'custom_model',
          targetId: created.id,
          metadata: { provider: dto.provider, model_id: dto.model_id },
          ...meta,
        });
        return mapCustomModel(created);
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DomainError(DomainErrorCode.CONFLICT, `Model ${dto.provider}/${dto.model_id} is already defined`);
      }
      throw err;
    }
  }

  remove(user: AuthUser, id: string, meta: RequestMeta): Promise<void> {
    return this.db.withUser(user.id, async (tx) => {
      if (!(await this.models.delete(tx, id))) throw DomainError.notFound('Custom model');
      await this.audit.append(tx, {
        userId: user.id,
        action: 'custom_model.deleted',
        targetType: 'custom_model',
        targetId: id,
        ...meta,
      });
    });
  }
}
