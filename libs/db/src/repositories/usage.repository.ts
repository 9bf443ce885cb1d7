import { Injectable } from '@nestjs/common';
import { Prisma, Tx } from '../prisma.client';

export interface UsageInput {
  userId: string;
  projectId?: string | null;
  keyId?: string | null;
  source: 'chat' | 'gateway' | 'key_test';
  provider: string;
  model: string;
  status: 'ok' | 'error' | 'aborted';
  promptTokens: number;
  completionTokens: number;
  /** Of the completion, thinking tokens; of the prompt, cache reads and writes (when the provider reports them). */
  reasoningTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** The model name the client asked for, when the gateway routed it to `provider/model`. */
  requestedModel?: string | null;
  costUsd?: number | null;
  latencyMs: number;
  errorCode?: string | null;
}

export type UsageGroupBy = 'model' | 'provider' | 'project' | 'day' | 'requested_model';

export interface UsageRow {
  group: string | null;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number | null;
}

const GROUP_SQL: Record<UsageGroupBy, Prisma.Sql> = {
  model: Prisma.sql`provider || '/' || model`,
  provider: Prisma.sql`provider`,
  project: Prisma.sql`project_id::text`,
  day: Prisma.sql`to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD')`,
  // The name a gateway client asked for (null for calls that named no other: chat, key tests).
  requested_model: Prisma.sql`requested_model`,
};

type SummaryRow = {
  g: string | null;
  requests: bigint;
  prompt: bigint | null;
  completion: bigint | null;
  reasoning: bigint | null;
  cache_read: bigint | null;
  cache_write: bigint | null;
  cost: Prisma.Decimal | null;
};

/** One usage_events row as written (every column of a call's usage in one place). */
function usageRow(u: UsageInput, keyId: string | null) {
  return {
    userId: u.userId,
    projectId: u.projectId ?? null,
    keyId,
    source: u.source,
    provider: u.provider,
    model: u.model,
    status: u.status,
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    reasoningTokens: u.reasoningTokens ?? 0,
    cacheReadTokens: u.cacheReadTokens ?? 0,
    cacheWriteTokens: u.cacheWriteTokens ?? 0,
    requestedModel: u.requestedModel ?? null,
    costUsd: u.costUsd ?? null,
    latencyMs: u.latencyMs,
    errorCode: u.errorCode ?? null,
  };
}

/**
 * One INSERT of any number of rows, as one array per column. Prisma's createMany would be a new query shape
 * (compiled anew) for every batch size, and the gateway's batches vary with its load.
 */
async function insertUsageRows(tx: Tx, rows: ReturnType<typeof usageRow>[]): Promise<void> {
  const column = <T>(pick: (r: ReturnType<typeof usageRow>) => T): T[] => rows.map(pick);
  await tx.$executeRaw`
    insert into usage_events (user_id, project_id, key_id, source, provider, model, status, prompt_tokens,
                              completion_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens,
                              requested_model, cost_usd, latency_ms, error_code)
    select * from unnest(
      ${column((r) => r.userId)}::uuid[], ${column((r) => r.projectId)}::uuid[], ${column((r) => r.keyId)}::uuid[],
      ${column((r) => r.source)}::text[], ${column((r) => r.provider)}::text[], ${column((r) => r.model)}::text[],
      ${column((r) => r.status)}::text[], ${column((r) => r.promptTokens)}::int[], ${column((r) => r.completionTokens)}::int[],
      ${column((r) => r.reasoningTokens)}::int[], ${column((r) => r.cacheReadTokens)}::int[], ${column((r) => r.cacheWriteTokens)}::int[],
      ${column((r) => r.requestedModel)}::text[], ${column((r) => (r.costUsd === null ? null : String(r.costUsd)))}::numeric[],
      ${column((r) => r.latencyMs)}::int[], ${column((r) => r.errorCode)}::text[])`;
}

/** usage_events (append-only) and the per-key counters, in a withUser scope. */
@Injectable()
export class UsageRepository {
  async record(tx: Tx, u: UsageInput): Promise<void> {
    await this.recordMany(tx, [u]);
  }

  /**
   * Appends several calls' usage (one insert) and adds them to their keys' counters. A key deleted since its
   * call is recorded as no key (as ON DELETE SET NULL does for rows written before): the keys are locked
   * against deletion first (FOR KEY SHARE), so the insert cannot fail on one deleted meanwhile.
   */
  async recordMany(tx: Tx, rows: UsageInput[]): Promise<void> {
    if (rows.length === 0) return;
    const keyIds = [...new Set(rows.flatMap((u) => (u.keyId ? [u.keyId] : [])))];
    const present = new Set<string>();
    if (keyIds.length > 0) {
      const found = await tx.$queryRaw<{ id: string }[]>`
        select id::text from provider_keys where id = any(${keyIds}::uuid[]) for key share`;
      for (const r of found) present.add(r.id);
    }
    const keyOf = (u: UsageInput) => (u.keyId && present.has(u.keyId) ? u.keyId : null);
    await insertUsageRows(tx, rows.map((u) => usageRow(u, keyOf(u))));
    const perKey = new Map<string, { requests: number; prompt: number; completion: number }>();
    for (const u of rows) {
      const keyId = keyOf(u);
      if (!keyId) continue;
      const sum = perKey.get(keyId) ?? { requests: 0, prompt: 0, completion: 0 };
      sum.requests += 1;
      sum.prompt += u.promptTokens;
      sum.completion += u.completionTokens;
      perKey.set(keyId, sum);
    }
    for (const [id, sum] of perKey) {
      await tx.providerKey.updateMany({
        where: { id },
        data: {
          lastUsedAt: new Date(),
          requestCount: { increment: sum.requests },
          promptTokens: { increment: sum.prompt },
          completionTokens: { increment: sum.completion },
        },
      });
    }
  }

  async summarize(tx: Tx, from: Date, to: Date, groupBy: UsageGroupBy): Promise<UsageRow[]> {
    const rows = await tx.$queryRaw<SummaryRow[]>`
      select ${GROUP_SQL[groupBy]} as g, count(*) as requests, sum(prompt_tokens) as prompt,
             sum(completion_tokens) as completion, sum(reasoning_tokens) as reasoning,
             sum(cache_read_tokens) as cache_read, sum(cache_write_tokens) as cache_write, sum(cost_usd) as cost
      from usage_events where created_at >= ${from} and created_at < ${to}
      group by 1 order by 1 nulls first`;
    return rows.map((r) => ({
      group: r.g,
      requests: Number(r.requests),
      promptTokens: Number(r.prompt ?? 0),
      completionTokens: Number(r.completion ?? 0),
      reasoningTokens: Number(r.reasoning ?? 0),
      cacheReadTokens: Number(r.cache_read ?? 0),
      cacheWriteTokens: Number(r.cache_write ?? 0),
      costUsd: r.cost === null ? null : Number(r.cost),
    }));
  }
}
