-- Events kept for BSM_EVENT_RETENTION_SECONDS so a stream can resume on any node with
-- Last-Event-ID (SPEC §12; the choice of PostgreSQL over a Redis stream: docs/STREAMING.md).
-- `seq` is the SSE event id, one space for /api/events and /api/tasks/:taskId/stream.
CREATE TABLE event_log (
    seq BIGINT PRIMARY KEY,
    type VARCHAR(60) NOT NULL,
    task_id VARCHAR(100),
    -- The user who may see the event (no foreign key: events outlive nothing and expire anyway).
    owner_id VARCHAR(100),
    payload JSONB NOT NULL,
    node_id VARCHAR(200) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- A task's stream replays only its own events.
CREATE INDEX idx_event_log_task ON event_log (task_id, seq) WHERE task_id IS NOT NULL;
-- A user's /api/events resume replays only their own events.
CREATE INDEX idx_event_log_owner ON event_log (owner_id, seq) WHERE owner_id IS NOT NULL;
CREATE INDEX idx_event_log_created_at ON event_log (created_at);

-- The one counter that hands out `seq`. Appending takes its row lock until commit, so events
-- become visible in `seq` order: a reader that has seen N never later meets an N-1.
CREATE TABLE event_log_counter (
    id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    last_seq BIGINT NOT NULL
);
INSERT INTO event_log_counter (id, last_seq) VALUES (true, 0);
