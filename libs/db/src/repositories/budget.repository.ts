import { Injectable } from '@nestjs/common';
import { Prisma, Tx } from '../prisma.client';

export interface NewReservation {
  userId: string;
  projectId: string | null;
  tokens: number;
  costUsd: number | null;
  expiresAt: Date;
}

/**
 * Budgets and the reservations held against them (budget_reservations), in a withUser scope. The `lock…`
 * methods take a row lock held until the transaction ends, so one budget's check-and-reserve runs one caller
 * at a time; the sums are read after the lock (a new statement, so a new READ COMMITTED snapshot that sees
 * what the previous holder committed).
 */
@Injectable()
export class BudgetRepository {
  /** The user's monthly budget in USD, locked; null when none is set. */
  async lockMonthlyBudget(tx: Tx, userId: string): Promise<number | null> {
    const rows = await tx.$queryRaw<{ budget: Prisma.Decimal | null }[]>`
      select monthly_budget_usd as budget from user_settings where user_id = ${userId}::uuid for no key update`;
    return rows[0]?.budget == null ? null : Number(rows[0].budget);
  }

  /** The live project's token budget, locked; null when none is set or the project is gone. */
  async lockProjectTokenBudget(tx: Tx, projectId: string): Promise<bigint | null> {
    const rows = await tx.$queryRaw<{ budget: bigint | null }[]>`
      select token_budget as budget from projects where id = ${projectId}::uuid and deleted_at is null for no key update`;
    return rows[0]?.budget ?? null;
  }

  /** USD spent since `from` plus what live reservations hold (the caller's own rows, by RLS and by filter). */
  async committedUsd(tx: Tx, userId: string, from: Date): Promise<number> {
    const rows = await tx.$queryRaw<{ spent: Prisma.Decimal; held: Prisma.Decimal }[]>`
      select (select coalesce(sum(cost_usd), 0) from usage_events where user_id = ${userId}::uuid and created_at >= ${from}) as spent,
             (select coalesce(sum(cost_usd), 0) from budget_reservations where user_id = ${userId}::uuid and expires_at > now()) as held`;
    return Number(rows[0].spent) + Number(rows[0].held);
  }

  /** Tokens one project has used plus what its live reservations hold. */
  async committedTokens(tx: Tx, projectId: string): Promise<number> {
    const rows = await tx.$queryRaw<{ used: bigint; held: bigint }[]>`
      select (select coalesce(sum(prompt_tokens + completion_tokens), 0)::bigint from usage_events where project_id = ${projectId}::uuid) as used,
             (select coalesce(sum(tokens), 0)::bigint from budget_reservations where project_id = ${projectId}::uuid and expires_at > now()) as held`;
    return Number(rows[0].used) + Number(rows[0].held);
  }

  /** Takes a reservation (and purges the user's expired ones, left by calls that never settled); returns its id. */
  async reserve(tx: Tx, r: NewReservation): Promise<string> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      with purged as (delete from budget_reservations where user_id = ${r.userId}::uuid and expires_at <= now())
      insert into budget_reservations (user_id, project_id, tokens, cost_usd, expires_at)
      values (${r.userId}::uuid, ${r.projectId}::uuid, ${r.tokens}, ${r.costUsd}::numeric, ${r.expiresAt})
      returning id::text`;
    return rows[0].id;
  }

  /** Ends a reservation (in the transaction that records the call's real usage). */
  async release(tx: Tx, id: string): Promise<void> {
    await this.releaseMany(tx, [id]);
  }

  async releaseMany(tx: Tx, ids: string[]): Promise<void> {
    if (ids.length > 0) await tx.budgetReservation.deleteMany({ where: { id: { in: ids } } });
  }
}
