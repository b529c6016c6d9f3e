-- The claim index gains run_at (SPEC §15, issue #13). The claim reads pending rows in
-- (priority DESC, created_at) order and skips those still in retry back-off (run_at in the
-- future). With run_at outside the index, every such row was fetched from the heap and discarded
-- on every claim: EXPLAIN showed 10,000 "Rows Removed by Filter" for a LIMIT 10 with 10,000 tasks
-- backing off. As a third key column, `run_at <= now` is checked on the index entry itself (an
-- Index Cond), so tasks in back-off cost an index-tuple comparison, not a heap visit.
CREATE INDEX idx_tasks_claim_due ON tasks (priority DESC, created_at ASC, run_at) WHERE status = 'pending';
DROP INDEX idx_tasks_claim;
