/**
 * The SQL expression for an attempt's cost in USD (SPEC §14): its tokens at the prices of the
 * agent's model — the `ml_models` row whose `name` is the agent's `model_name`, the deployed
 * version first, then the newest — from `parameters.inputPricePerMTok` / `outputPricePerMTok`.
 * 0 when no such model or no price. Priced in the completing statement itself, so every node
 * charges the price the database holds at that moment, with no cache to go stale. A price that is
 * not a JSON number counts as 0 rather than failing the completion (the API only accepts numbers).
 */
const price = (key: 'inputPricePerMTok' | 'outputPricePerMTok') =>
  `CASE WHEN jsonb_typeof(m.parameters->'${key}') = 'number' THEN (m.parameters->>'${key}')::float8 ELSE 0 END`;

export function attemptCostUsd(agentUuid: string, inputTokens: string, outputTokens: string): string {
  return `COALESCE((
         SELECT (${price('inputPricePerMTok')} * COALESCE(${inputTokens}, 0)
               + ${price('outputPricePerMTok')} * COALESCE(${outputTokens}, 0)) / 1000000.0
         FROM agents a JOIN ml_models m ON m.name = a.model_name
         WHERE a.id = ${agentUuid}
         ORDER BY (m.status = 'deployed') DESC, m.deployed_at DESC NULLS LAST, m.created_at DESC
         LIMIT 1), 0)`;
}

/**
 * The body of a data-modifying CTE that adds priced attempts to their owners' spending today
 * (`usage_user_daily`, migration 039), in the statement that records them. `source` is a CTE with
 * `created_by` and `cost` columns. Owners are written in one fixed order, so two statements never
 * wait for each other's rows in opposite orders.
 */
export function addUserSpend(source: string): string {
  return `INSERT INTO usage_user_daily (user_id, day, cost_usd)
       SELECT created_by, CAST(LOCALTIMESTAMP AS DATE), SUM(cost) FROM ${source}
       WHERE created_by IS NOT NULL AND cost > 0
       GROUP BY created_by ORDER BY created_by
       ON CONFLICT (user_id, day) DO UPDATE SET cost_usd = usage_user_daily.cost_usd + EXCLUDED.cost_usd`;
}
