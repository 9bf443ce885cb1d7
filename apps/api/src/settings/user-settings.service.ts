import { Injectable } from '@nestjs/common';
import type { AuthUser, RequestMeta } from '@pantheon/auth';
import { AuditLogRepository, DbService, UserSettingsRepository } from '@pantheon/db';
import { GatewayCache } from '../gateway-cache/gateway-cache';
import { toParameterObject } from '../common/model-parameters.dto';
import { mapUserSettings, UpdateUserSettingsDto, UserSettingsResponseDto } from './user-settings.dto';

@Injectable()
export class UserSettingsService {
  constructor(
    private readonly db: DbService,
    private readonly settings: UserSettingsRepository,
    private readonly audit: AuditLogRepository,
    private readonly gatewayCache: GatewayCache,
  ) {}

  get(user: AuthUser): Promise<UserSettingsResponseDto> {
    return this.db.withUser(user.id, async (tx) => mapUserSettings(await this.settings.find(tx, user.id)));
  }

  /** Replaces the settings; the monthly budget among them decides whether gateway calls reserve (GatewayCache). */
  replace(user: AuthUser, dto: UpdateUserSettingsDto, meta: RequestMeta): Promise<UserSettingsResponseDto> {
    return this.gatewayCache.invalidating(user.id, this.db.withUser(user.id, async (tx) => {
      const saved = await this.settings.upsert(tx, user.id, {
        preferredModel: dto.preferred_model ?? null,
        modelParameters: toParameterObject(dto.model_parameters),
        monthlyBudgetUsd: dto.monthly_budget_usd ?? null,
      });
      await this.audit.append(tx, {
        userId: user.id,
        action: 'settings.updated',
        targetType: 'user_settings',
        targetId: user.id,
        metadata: { preferred_model: saved.preferredModel, parameters: Object.keys(toParameterObject(dto.model_parameters)) },
        ...meta,
      });
      return mapUserSettings(saved);
    }));
  }
}
