import type { ProjectRepository, Tx, UsageRepository, UserSettingsRepository } from '@pantheon/db';
import { DomainError, DomainErrorCode } from '../common/domain.error';

export interface BudgetRepositories {
  settings: UserSettingsRepository;
  usage: UsageRepository;
  projects: ProjectRepository;
}

export function startOfMonthUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/**
 * Refuses a call when the user's monthly budget (402) or the project's token budget (429) is used up. Runs
 * inside the caller's user-scoped transaction, so the sums only ever see the caller's own usage.
 */
export async function assertWithinBudget(tx: Tx, repos: BudgetRepositories, userId: string, projectId: string | null): Promise<void> {
  const s = await repos.settings.find(tx, userId);
  if (s?.monthlyBudgetUsd != null) {
    const budget = Number(s.monthlyBudgetUsd);
    const spent = await repos.usage.costSince(tx, startOfMonthUtc());
    if (spent >= budget) {
      throw new DomainError(
        DomainErrorCode.BUDGET_EXHAUSTED,
        `Monthly budget of $${budget.toFixed(2)} reached ($${spent.toFixed(4)} spent this month)`,
      );
    }
  }
  if (!projectId) return;
  const project = await repos.projects.findLive(tx, projectId);
  if (!project) throw DomainError.notFound('Project');
  if (project.tokenBudget === null) return;
  const used = await repos.usage.projectTokens(tx, projectId);
  if (used >= Number(project.tokenBudget)) {
    throw new DomainError(
      DomainErrorCode.TOKEN_BUDGET_EXHAUSTED,
      `The project's token budget of ${project.tokenBudget} tokens is used up (${used} used)`,
    );
  }
}
