import { HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import { DbService, ProjectRepository, ProviderKeyRecord, ProviderKeyRepository, Tx, UsageInput, UsageRepository, UserSettingsRepository } from '@pantheon/db';
import { ProviderId } from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { ProviderKeyVault } from '../keys/provider-key-vault.service';
import { startOfMonthUtc } from './usage.service';

/** A user's key, decrypted for one call. The plaintext lives only as long as the call. */
export interface ResolvedKey {
  keyId: string;
  apiKey: string;
  baseUrl?: string;
}

/**
 * What every AI call shares, whether it comes from the chat API or the LLM gateway: picking and decrypting
 * the owner's key for a provider, enforcing budgets before the call, and recording usage after it.
 */
@Injectable()
export class AiAccessService {
  private readonly logger = new Logger('AiAccessService');

  constructor(
    private readonly db: DbService,
    private readonly keys: ProviderKeyRepository,
    private readonly settings: UserSettingsRepository,
    private readonly projects: ProjectRepository,
    private readonly usage: UsageRepository,
    private readonly vault: ProviderKeyVault,
  ) {}

  /** The user's key for `provider` (or the given key), decrypted in memory. 400 names what is missing. */
  resolveKey(userId: string, provider: ProviderId, keyId?: string): Promise<ResolvedKey> {
    return this.db.withUser(userId, (tx) => this.resolveKeyIn(tx, provider, keyId));
  }

  /** Budgets first, then the key, in one transaction (the per-call overhead of the gateway). */
  authorizeCall(userId: string, projectId: string | null, provider: ProviderId, keyId?: string): Promise<ResolvedKey> {
    return this.db.withUser(userId, async (tx) => {
      await this.assertWithinBudgetIn(tx, userId, projectId);
      return this.resolveKeyIn(tx, provider, keyId);
    });
  }

  private async resolveKeyIn(tx: Tx, provider: ProviderId, keyId?: string): Promise<ResolvedKey> {
    const record: ProviderKeyRecord | null = keyId ? await this.keys.findById(tx, keyId) : await this.keys.findUsable(tx, provider);
    if (!record || record.provider !== provider) {
      throw new DomainError(
        DomainErrorCode.Invalid,
        keyId ? 'API key not found for this provider' : `No usable ${provider} API key: add one under /api/user/api-keys`,
      );
    }
    return { keyId: record.id, apiKey: this.vault.open(record), baseUrl: record.baseUrl ?? undefined };
  }

  /** Refuses a call when the user's monthly budget (402) or the project's token budget (429) is used up. */
  private async assertWithinBudgetIn(tx: Tx, userId: string, projectId: string | null): Promise<void> {
    const s = await this.settings.find(tx, userId);
    if (s?.monthlyBudgetUsd != null) {
      const budget = Number(s.monthlyBudgetUsd);
      const spent = await this.usage.costSince(tx, startOfMonthUtc());
      if (spent >= budget) {
        throw new HttpException(`Monthly budget of $${budget.toFixed(2)} reached ($${spent.toFixed(4)} spent this month)`, HttpStatus.PAYMENT_REQUIRED);
      }
    }
    if (projectId) {
      const project = await this.projects.findLive(tx, projectId);
      if (!project) throw DomainError.notFound('Project');
      if (project.tokenBudget !== null) {
        const used = await this.usage.projectTokens(tx, projectId);
        if (used >= Number(project.tokenBudget)) {
          throw new HttpException(`The project's token budget of ${project.tokenBudget} tokens is used up (${used} used)`, HttpStatus.TOO_MANY_REQUESTS);
        }
      }
    }
  }

  /** Records one provider call; failures here are logged, never turned into a failed response. */
  async record(u: UsageInput): Promise<void> {
    await this.db
      .withUser(u.userId, (tx) => this.usage.record(tx, u))
      .catch((err: Error) => this.logger.error({ userId: u.userId, projectId: u.projectId, err: err.message }, 'usage not recorded'));
  }
}
