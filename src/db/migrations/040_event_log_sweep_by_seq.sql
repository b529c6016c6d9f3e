-- The event log's retention sweep walks the primary key in `seq` order (events are appended in
-- time order) and stops at the first event still inside the window, so the index on created_at
-- served nothing else — and cost an index entry for every event appended (five per task run).
DROP INDEX IF EXISTS idx_event_log_created_at;
