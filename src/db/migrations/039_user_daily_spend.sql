-- Each user's spending per UTC day (SPEC §14 budgets), kept by the statements that record priced
-- attempts, in the same transaction: a user's budget check before a model call reads one row
-- instead of summing the day's executions of all their tasks (a scan that grew with the day's
-- traffic, or with the user's whole history).
CREATE TABLE usage_user_daily (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day DATE NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);

-- Today's spending so far, so budgets hold across the upgrade.
INSERT INTO usage_user_daily (user_id, day, cost_usd)
SELECT t.created_by, CAST(e.created_at AS DATE), SUM(e.cost_usd)
FROM agent_executions e JOIN tasks t ON t.id = e.task_id
WHERE t.created_by IS NOT NULL AND e.cost_usd > 0
  AND e.created_at >= date_trunc('day', LOCALTIMESTAMP)
GROUP BY t.created_by, CAST(e.created_at AS DATE);
