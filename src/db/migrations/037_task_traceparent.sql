-- The W3C trace context (`traceparent`, 55 characters) of the span that submitted the task, so
-- the worker that runs it — in any process — continues the submitter's trace (SPEC §14). Null
-- when tracing is off. Written once at insert; no index (never searched).
ALTER TABLE tasks ADD COLUMN traceparent VARCHAR(55);
