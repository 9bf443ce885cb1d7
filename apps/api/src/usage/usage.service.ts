import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@pantheon/auth';
import { DbService, UsageRepository } from '@pantheon/db';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { startOfMonthUtc } from './budget';
import { UsageQueryDto, UsageResponseDto } from './usage.dto';

const MAX_RANGE_MS = 366 * 24 * 3600_000;

@Injectable()
export class UsageService {
  constructor(
    private readonly db: DbService,
    private readonly usage: UsageRepository,
  ) {}

  summary(user: AuthUser, q: UsageQueryDto): Promise<UsageResponseDto> {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : startOfMonthUtc(to);
    if (from >= to) throw new DomainError(DomainErrorCode.INVALID, 'from must be before to');
    if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw new DomainError(DomainErrorCode.INVALID, 'The range may span at most 366 days');
    const groupBy = q.group_by ?? 'model';
    return this.db.withUser(user.id, async (tx) => {
      const rows = await this.usage.summarize(tx, from, to, groupBy);
      const data = rows.map((r) => ({
        group: r.group,
        requests: r.requests,
        prompt_tokens: r.promptTokens,
        completion_tokens: r.completionTokens,
        reasoning_tokens: r.reasoningTokens,
        cache_read_tokens: r.cacheReadTokens,
        cache_write_tokens: r.cacheWriteTokens,
        cost_usd: r.costUsd,
      }));
      const totals = data.reduce(
        (t, r) => ({
          group: null,
          requests: t.requests + r.requests,
          prompt_tokens: t.prompt_tokens + r.prompt_tokens,
          completion_tokens: t.completion_tokens + r.completion_tokens,
          reasoning_tokens: t.reasoning_tokens + r.reasoning_tokens,
          cache_read_tokens: t.cache_read_tokens + r.cache_read_tokens,
          cache_write_tokens: t.cache_write_tokens + r.cache_write_tokens,
          cost_usd: r.cost_usd === null ? t.cost_usd : (t.cost_usd ?? 0) + r.cost_usd,
        }),
        { group: null, requests: 0, prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: null as number | null },
      );
      return { from: from.toISOString(), to: to.toISOString(), group_by: groupBy, data, totals };
    });
  }
}
