import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthUser, RequestMeta } from '@pantheon/auth';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { fingerprint, last4 } from '@pantheon/crypto';
import { AuditLogRepository, DbService, isUniqueViolation, ProviderKeyRepository, UsageRepository } from '@pantheon/db';
import { OutboundPolicy } from '@pantheon/outbound';
import { PROVIDER_IDS, ProviderId, ProviderRegistry } from '@pantheon/providers';
import { randomUUID } from 'node:crypto';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { isCallFailure } from '../common/error-map';
import { PageQueryDto, pageInfo } from '../common/pagination.dto';
import { GatewayCache } from '../gateway-cache/gateway-cache';
import { recordUsage } from '../usage/metered-call';
import {
  CreateProviderKeyDto,
  KeyTestResult,
  mapProviderKey,
  ProviderKeyListResponseDto,
  ProviderKeyResponseDto,
  ProviderStatus,
} from './provider-key.dto';
import { ProviderKeyVault } from './provider-key.vault';

/** A user's provider keys: stored sealed, listed masked, tested against the provider, deleted with an audit entry. */
@Injectable()
export class ProviderKeyService {
  private readonly logger = new Logger('ProviderKeyService');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly keys: ProviderKeyRepository,
    private readonly audit: AuditLogRepository,
    private readonly usage: UsageRepository,
    private readonly vault: ProviderKeyVault,
    private readonly registry: ProviderRegistry,
    private readonly outbound: OutboundPolicy,
    private readonly gatewayCache: GatewayCache,
  ) {}

  list(user: AuthUser, page: PageQueryDto): Promise<ProviderKeyListResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      const { items, total } = await this.keys.list(tx, page);
      return { data: items.map(mapProviderKey), page: pageInfo(page, total) };
    });
  }

  async create(user: AuthUser, dto: CreateProviderKeyDto, meta: RequestMeta): Promise<ProviderKeyResponseDto> {
    if (dto.provider !== 'custom' && dto.base_url !== undefined) {
      throw new DomainError(DomainErrorCode.INVALID, 'base_url is only accepted for provider "custom"');
    }
    // Refused here with the rule's name; every call checks again as it connects (DNS may change meanwhile).
    if (dto.base_url !== undefined) await this.outbound.check(dto.base_url, 'base_url');
    const id = randomUUID();
    const sealed = this.vault.seal(user.id, id, dto.key);
    const print = fingerprint(user.id, dto.key);
    try {
      // A new key may become the one calls use (the newest usable key of its provider).
      return await this.gatewayCache.invalidating(user.id, this.db.withUser(user.id, async (tx) => {
        if ((await this.keys.count(tx)) >= this.config.MAX_API_KEYS_PER_USER) {
          throw new DomainError(
            DomainErrorCode.LIMIT_REACHED,
            `You can store at most ${this.config.MAX_API_KEYS_PER_USER} API keys; delete one first`,
          );
        }
        const same = await this.keys.findByFingerprint(tx, print);
        if (same) throw new DomainError(DomainErrorCode.CONFLICT, `This key is already stored as "${same.name}"`);
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
        return mapProviderKey(created);
      }));
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError(DomainErrorCode.CONFLICT, `An API key named "${dto.name}" already exists`);
      throw err;
    }
  }

  /** Never used again once this returns, by any API process (the gateway's cached keys are invalidated first). */
  remove(user: AuthUser, id: string, meta: RequestMeta): Promise<void> {
    return this.gatewayCache.invalidating(user.id, this.db.withUser(user.id, async (tx) => {
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
    }));
  }

  /** A cheap authenticated call (the model list); the outcome is stored on the key. */
  async test(user: AuthUser, keyId: string, meta: RequestMeta): Promise<KeyTestResult> {
    const { record, key } = await this.db.withUser(user.id, async (tx) => {
      const found = await this.keys.findById(tx, keyId);
      if (!found) throw DomainError.notFound('API key');
      return { record: found, key: this.vault.openForCall(found) };
    });
    const provider = record.provider as ProviderId;
    const started = Date.now();
    let ok = false;
    let error: string | undefined;
    try {
      // No signal of our own: the library's deadline (PROVIDER_TIMEOUT_MS) reports a slow provider as TIMEOUT.
      const check = await this.registry.get(provider).checkKey({ apiKey: key.apiKey, baseUrl: key.baseUrl, fetch: key.fetch?.buffered });
      ok = check.valid;
      if (!ok) error = `${provider} rejected the API key`;
    } catch (err) {
      error = isCallFailure(err) ? err.message : `${provider} could not be reached`;
    }
    // A failed test takes the key out of use (findUsable), a passed one may put it first.
    const checkedAt = await this.gatewayCache.invalidating(user.id, this.db.withUser(user.id, async (tx) => {
      const updated = await this.keys.recordTest(tx, keyId, ok, error ?? null);
      await this.audit.append(tx, {
        userId: user.id, action: 'api_key.tested', targetType: 'provider_key', targetId: keyId,
        metadata: { provider, ok }, ...meta,
      });
      return updated.lastTestedAt!;
    }));
    await recordUsage({ db: this.db, usage: this.usage, logger: this.logger }, {
      userId: user.id, keyId, source: 'key_test', provider, model: 'models.list',
      status: ok ? 'ok' : 'error', promptTokens: 0, completionTokens: 0, latencyMs: Date.now() - started,
      errorCode: ok ? null : 'KEY_CHECK_FAILED',
    });
    return { ok, provider, checked_at: checkedAt.toISOString(), ...(error ? { error } : {}) };
  }

  /** Every provider, with whether the caller has a key for it and how its last test went. */
  providers(user: AuthUser): Promise<ProviderStatus[]> {
    return this.db.withUser(user.id, async (tx) => {
      const withKeys = new Map((await this.keys.providersWithKeys(tx)).map((p) => [p.provider, p]));
      return PROVIDER_IDS.map((id) => {
        const k = withKeys.get(id);
        return { id, has_key: Boolean(k), last_tested_at: k?.lastTestedAt?.toISOString() ?? null, last_test_ok: k?.lastTestOk ?? null };
      });
    });
  }
}
