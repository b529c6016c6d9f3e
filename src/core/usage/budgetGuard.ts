/**
 * Budgets (SPEC §14): an agent's `config.budget.usdPerDay` and its task owner's
 * `budgetUsdPerDay`, counted per UTC day. The worker asks before every model call; a task that
 * starts when spent ≥ budget fails at once with BUDGET_EXCEEDED, without calling the model and
 * without retries (a retry within the day would meet the same budget).
 */
import type { Db } from '../../db/index.js';
import type { Agent, Task } from '../../domain.js';
import type { UserRepository } from '../../repositories/users.js';
import { agentSpentToday } from './sql/spentToday.js';
import { userSpentToday } from './sql/userSpentToday.js';

/** How long a user's budget setting is reused: one read per user per 5 s, not per task. */
const USER_BUDGET_CACHE_MS = 5_000;

export class BudgetExceededError extends Error {
  readonly code = 'BUDGET_EXCEEDED';
  /** Read by the worker: the task fails without retries. */
  readonly retryable = false;

  constructor(whose: string, spent: number, budget: number) {
    super(`BUDGET_EXCEEDED: ${whose} spent $${spent.toFixed(6)} of its $${budget} daily budget (UTC day)`);
    this.name = 'BudgetExceededError';
  }
}

/** The daily budget in an agent's config (USD), or undefined when it has none (or a malformed one). */
export function agentBudget(config: Record<string, unknown>): number | undefined {
  const budget = config.budget as { usdPerDay?: unknown } | null | undefined;
  const value = budget?.usdPerDay;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export class BudgetGuard {
  private readonly userBudgets = new Map<string, { budget: number | null; at: number }>();

  constructor(private readonly deps: { db: Db; users: UserRepository }) {}

  /** Throws BudgetExceededError when the agent's or the task owner's budget for today is spent. */
  async check(agent: Agent, task: Task): Promise<void> {
    const forAgent = agentBudget(agent.config);
    if (forAgent !== undefined) {
      const spent = await agentSpentToday(this.deps.db, agent.id);
      if (spent >= forAgent) throw new BudgetExceededError(`agent ${agent.agentId}`, spent, forAgent);
    }
    if (!task.createdBy) return;
    const forUser = await this.userBudget(task.createdBy);
    if (forUser === null) return;
    const spent = await userSpentToday(this.deps.db, task.createdBy);
    if (spent >= forUser) throw new BudgetExceededError('the task owner', spent, forUser);
  }

  /** Forgets a cached user budget (after `PATCH /api/users/:id` on this node). */
  forgetUser(userId: string): void {
    this.userBudgets.delete(userId);
  }

  private async userBudget(userId: string): Promise<number | null> {
    const hit = this.userBudgets.get(userId);
    if (hit && Date.now() - hit.at < USER_BUDGET_CACHE_MS) return hit.budget;
    const user = await this.deps.users.findById(userId).catch(() => undefined);
    const budget = user?.budgetUsdPerDay ?? null;
    this.userBudgets.set(userId, { budget, at: Date.now() });
    return budget;
  }
}
