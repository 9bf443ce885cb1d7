import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser, RequestMeta } from '@pantheon/auth';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { fingerprint, last4 } from '@pantheon/crypto';
import { AuditLogRepository, DbService, isUniqueViolation, ProviderKeyRepository } from '@pantheon/db';
import { randomUUID } from 'node:crypto';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { PageQueryDto, pageInfo } from '../common/pagination.dto';
import { ProviderKeyVault } from '../keys/provider-key-vault.service';
import { ApiKeyListResponseDto, ApiKeyResponseDto, CreateApiKeyDto, mapApiKey } from './api-key.dto';

@Injectable()
export class ApiKeyService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly keys: ProviderKeyRepository,
    private readonly audit: AuditLogRepository,
    private readonly vault: ProviderKeyVault,
  ) {}

  list(user: AuthUser, page: PageQueryDto): Promise<ApiKeyListResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      const { items, total } = await this.keys.list(tx, page);
      return { data: items.map(mapApiKey), page: pageInfo(page, total) };
    });
  }

  async create(user: AuthUser, dto: CreateApiKeyDto, meta: RequestMeta): Promise<ApiKeyResponseDto> {
    if (dto.provider !== 'custom' && dto.base_url !== undefined) {
      throw new DomainError(DomainErrorCode.Invalid, 'base_url is only accepted for provider "custom"');
    }
    const id = randomUUID();
    const sealed = this.vault.seal(user.id, id, dto.key);
    const print = fingerprint(user.id, dto.key);
    try {
      return await this.db.withUser(user.id, async (tx) => {
        if ((await this.keys.count(tx)) >= this.config.MAX_API_KEYS_PER_USER) {
          throw new DomainError(
            DomainErrorCode.LimitReached,
            `You can store at most ${this.config.MAX_API_KEYS_PER_USER} API keys; delete one first`,
          );
        }
        const same = await this.keys.findByFingerprint(tx, print);
        if (same) throw new DomainError(DomainErrorCode.Conflict, `This key is already stored as "${same.name}"`);
        const created = await this.keys.create(tx, {
          id,
          userId: user.id,
          name: dto.name,
          provider: dto.provider,
          baseUrl: dto.base_url ?? null,
          ciphertext: sealed.ciphertext,
          keyVersion: sealed.keyVersion,
          last4: last4(dto.key),
          fingerprint: print,
        });
        await this.audit.append(tx, {
          userId: user.id,
          action: 'api_key.created',
          targetType: 'provider_key',
          targetId: id,
          metadata: { name: dto.name, provider: dto.provider, fingerprint: print },
          ...meta,
        });
        return mapApiKey(created);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError(DomainErrorCode.Conflict, `An API key named "${dto.name}" already exists`);
      throw err;
    }
  }

  remove(user: AuthUser, id: string, meta: RequestMeta): Promise<void> {
    return this.db.withUser(user.id, async (tx) => {
      const existing = await this.keys.findById(tx, id);
      if (!existing || !(await this.keys.delete(tx, id))) throw DomainError.notFound('API key');
      await this.audit.append(tx, {
        userId: user.id,
        action: 'api_key.deleted',
        targetType: 'provider_key',
        targetId: id,
        metadata: { name: existing.name, provider: existing.provider, fingerprint: existing.fingerprint },
        ...meta,
      });
    });
  }

  /** Decrypts one of the caller's keys for an outgoing provider call. Never returned to a client. */
  reveal(userId: string, id: string): Promise<string> {
    return this.db.withUser(userId, async (tx) => {
      const record = await this.keys.findById(tx, id);
      if (!record) throw DomainError.notFound('API key');
      return this.vault.open(record);
    });
  }
}
