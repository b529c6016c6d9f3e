/**
 * Usage and cost reports (SPEC §14): attempts (`agent_executions`) in a time range, summed by
 * agent, task owner, model or UTC day. The grouping expressions come from a fixed map, never
 * from the request.
 */
import type { Queryable } from '../db/index.js';

export const USAGE_GROUPS = ['agent', 'user', 'model', 'day'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageItem {
  /** The agent's human id, the owner's username, the agent's model (name, else provider) or `YYYY-MM-DD`. */
  key: string | null;
  tasks: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

const GROUP_KEYS: Readonly<Record<UsageGroup, string>> = {
  agent: 'a.agent_id',
  user: 'u.username',
  model: 'COALESCE(a.model_name, a.model_provider)',
  day: `to_char(e.created_at, 'YYYY-MM-DD')`,
};

export class UsageRepository {
  constructor(private readonly db: Queryable) {}

  /** Sums over attempts with `from <= created_at < to`; `ownerId` limits to one user's tasks. */
  async summarise(groupBy: UsageGroup, from: Date, to: Date, ownerId?: string): Promise<UsageItem[]> {
    const key = GROUP_KEYS[groupBy];
    const { rows } = await this.db.query<{
      key: string | null;
      tasks: string;
      input_tokens: string;
      output_tokens: string;
      cost_usd: number;
    }>(
      `SELECT ${key} AS key, COUNT(DISTINCT e.task_id) AS tasks,
              COALESCE(SUM(e.input_tokens), 0) AS input_tokens,
              COALESCE(SUM(e.output_tokens), 0) AS output_tokens,
              COALESCE(SUM(e.cost_usd), 0)::float8 AS cost_usd
       FROM agent_executions e
       JOIN tasks t ON t.id = e.task_id
       LEFT JOIN agents a ON a.id = e.agent_id
       LEFT JOIN users u ON u.id = t.created_by
       WHERE e.created_at >= $1::timestamptz AND e.created_at < $2::timestamptz AND ($3::uuid IS NULL OR t.created_by = $3::uuid)
       GROUP BY 1
       ORDER BY 1 NULLS LAST`,
      // ISO strings with an explicit zone: the comparison never depends on the process's TZ.
      [from.toISOString(), to.toISOString(), ownerId ?? null],
    );
    return rows.map((r) => ({
      key: r.key,
      tasks: Number(r.tasks),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      costUsd: Number(r.cost_usd),
    }));
  }
}
