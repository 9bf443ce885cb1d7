import type { BudgetRepository, ProjectRepository, Tx, UserSettingsRepository } from '@pantheon/db';
import type { ChatRequest, Usage } from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';

export interface BudgetRepositories {
  settings: UserSettingsRepository;
  projects: ProjectRepository;
  budgets: BudgetRepository;
}

/** USD per million tokens; cached prompt tokens at their own rates when the price has them, else at `input`. */
export type ModelPrice = { input: number; output: number; cache_read?: number; cache_write?: number };

/** What one provider request is expected to spend at most, held against the budgets while it runs. */
export interface BudgetHold {
  tokens: number;
  /** null when the model has no price (its calls are recorded without a cost, too). */
  costUsd: number | null;
  expiresAt: Date;
}

/** Rough tokens per character of English text and code (the usual 4-characters-per-token rule). */
const CHARS_PER_TOKEN = 4;
/** Per-message framing (role, separators) most chat formats add. */
const TOKENS_PER_MESSAGE = 4;

export function startOfMonthUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/**
 * The usage a request can be expected to reach: its prompt estimated from the text it sends (messages, tool
 * calls and results, tool definitions), and its answer capped by `max_tokens` (else `defaultCompletion`).
 */
export function estimateUsage(request: Pick<ChatRequest, 'messages' | 'tools' | 'parameters'>, defaultCompletion: number): Usage {
  let chars = request.tools ? JSON.stringify(request.tools).length : 0;
  for (const m of request.messages) {
    chars += m.content.length;
    if (m.role === 'assistant') for (const call of m.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  }
  return {
    promptTokens: Math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * request.messages.length,
    completionTokens: request.parameters.max_tokens ?? defaultCompletion,
  };
}

/**
 * USD for some usage at a price per million tokens; null for an unpriced model. Cache reads and writes are parts
 * of the prompt tokens: priced at `cache_read`/`cache_write` when the price has them, at `input` otherwise.
 */
export function costOf(price: ModelPrice | undefined, usage: Usage): number | null {
  if (!price) return null;
  const read = usage.cacheReadTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  const plain = Math.max(0, usage.promptTokens - read - write);
  const prompt = plain * price.input + read * (price.cache_read ?? price.input) + write * (price.cache_write ?? price.input);
  return (prompt + usage.completionTokens * price.output) / 1_000_000;
}

/**
 * Admits one provider request against the user's monthly budget (402) and the project's token budget (429),
 * and reserves `hold` against them; returns the reservation's id, or null when no budget applies (nothing is
 * locked or written then). Runs inside the caller's user-scoped transaction: each budget's row is locked
 * before its sum is read, so parallel requests are admitted one at a time and each sees the others' holds —
 * the most a budget can be exceeded by is what the last admitted request spends beyond it.
 */
export async function reserveWithinBudget(
  tx: Tx,
  repos: BudgetRepositories,
  scope: { userId: string; projectId: string | null },
  hold: BudgetHold,
): Promise<string | null> {
  const settings = await repos.settings.find(tx, scope.userId);
  const project = scope.projectId ? await repos.projects.findLive(tx, scope.projectId) : null;
  if (scope.projectId && !project) throw DomainError.notFound('Project');
  const monthly = settings?.monthlyBudgetUsd != null;
  const tokens = project?.tokenBudget != null;
  if (!monthly && !tokens) return null;

  // Always user budget first, then project: one lock order, so two requests never wait on each other in a cycle.
  const budgetUsd = monthly ? await repos.budgets.lockMonthlyBudget(tx, scope.userId) : null;
  if (budgetUsd !== null) {
    const committed = await repos.budgets.committedUsd(tx, scope.userId, startOfMonthUtc());
    if (committed >= budgetUsd) {
      throw new DomainError(
        DomainErrorCode.BUDGET_EXHAUSTED,
        `Monthly budget of $${budgetUsd.toFixed(2)} reached ($${committed.toFixed(4)} spent or held by running calls this month)`,
      );
    }
  }
  const budgetTokens = tokens ? await repos.budgets.lockProjectTokenBudget(tx, scope.projectId!) : null;
  if (budgetTokens !== null) {
    const committed = await repos.budgets.committedTokens(tx, scope.projectId!);
    if (committed >= Number(budgetTokens)) {
      throw new DomainError(
        DomainErrorCode.TOKEN_BUDGET_EXHAUSTED,
        `The project's token budget of ${budgetTokens} tokens is used up (${committed} used or held by running calls)`,
      );
    }
  }
  return repos.budgets.reserve(tx, { userId: scope.userId, projectId: scope.projectId, ...hold });
}
