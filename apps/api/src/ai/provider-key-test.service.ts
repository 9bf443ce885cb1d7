import { Injectable } from '@nestjs/common';
import type { AuthUser, RequestMeta } from '@pantheon/auth';
import { AuditLogRepository, DbService, ProviderKeyRepository } from '@pantheon/db';
import { PROVIDER_IDS, ProviderError, ProviderId, ProviderRegistry } from '@pantheon/providers';
import { DomainError } from '../common/domain.error';
import { ProviderKeyVault } from '../keys/provider-key-vault.service';
import { AiAccessService } from './ai-access.service';

export interface KeyTestResult {
  ok: boolean;
  provider: string;
  checked_at: string;
  error?: string;
}

export interface ProviderStatus {
  id: ProviderId;
  has_key: boolean;
  last_tested_at: string | null;
  last_test_ok: boolean | null;
}

@Injectable()
export class ProviderKeyTestService {
  constructor(
    private readonly db: DbService,
    private readonly keys: ProviderKeyRepository,
    private readonly audit: AuditLogRepository,
    private readonly vault: ProviderKeyVault,
    private readonly registry: ProviderRegistry,
    private readonly access: AiAccessService,
  ) {}

  /** A cheap authenticated call (the model list); the outcome is stored on the key. */
  async test(user: AuthUser, keyId: string, meta: RequestMeta): Promise<KeyTestResult> {
    const { record, apiKey } = await this.db.withUser(user.id, async (tx) => {
      const found = await this.keys.findById(tx, keyId);
      if (!found) throw DomainError.notFound('API key');
      return { record: found, apiKey: this.vault.open(found) };
    });
    const provider = record.provider as ProviderId;
    const started = Date.now();
    let ok = false;
    let error: string | undefined;
    try {
      // No signal of our own: the library's deadline (PROVIDER_TIMEOUT_MS) reports a slow provider as TIMEOUT.
      const check = await this.registry.get(provider).checkKey({ apiKey, baseUrl: record.baseUrl ?? undefined });
      ok = check.valid;
      if (!ok) error = `${provider} rejected the API key`;
    } catch (err) {
      error = err instanceof ProviderError ? err.message : `${provider} could not be reached`;
    }
    const checkedAt = await this.db.withUser(user.id, async (tx) => {
      const updated = await this.keys.recordTest(tx, keyId, ok, error ?? null);
      await this.audit.append(tx, {
        userId: user.id, action: 'api_key.tested', targetType: 'provider_key', targetId: keyId,
        metadata: { provider, ok }, ...meta,
      });
      return updated.lastTestedAt!;
    });
    await this.access.record({
      userId: user.id, keyId, source: 'key_test', provider, model: 'models.list',
      status: ok ? 'ok' : 'error', promptTokens: 0, completionTokens: 0, latencyMs: Date.now() - started,
      errorCode: ok ? null : 'KEY_CHECK_FAILED',
    });
    return { ok, provider, checked_at: checkedAt.toISOString(), ...(error ? { error } : {}) };
  }

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
