-- The durable multi-worker queue (SPEC §5). Only additions: the seed's columns keep their meaning.
-- Times are TIMESTAMP in UTC, like the seed's (every session runs with timezone=UTC).

-- Who submitted the task: a `user` sees only their own tasks (SPEC §6).
ALTER TABLE tasks ADD COLUMN created_by UUID REFERENCES users(id) ON DELETE SET NULL;
-- Earliest time the task may be claimed: now for new tasks, later while a retry backs off.
ALTER TABLE tasks ADD COLUMN run_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP;
-- The lease of a running task: which node holds it and until when (renewed while it runs).
ALTER TABLE tasks ADD COLUMN lease_owner VARCHAR(200);
ALTER TABLE tasks ADD COLUMN lease_expires_at TIMESTAMP;
-- Set when a running task is cancelled; the owning node sees it and aborts the work.
ALTER TABLE tasks ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT false;
-- A child task (delegation, workflow step) points at the task that asked for it.
ALTER TABLE tasks ADD COLUMN parent_task_id UUID REFERENCES tasks(id) ON DELETE SET NULL;

-- The claim reads only pending rows in queue order; a partial index keeps it small however many
-- finished tasks the table holds.
CREATE INDEX idx_tasks_claim ON tasks (priority DESC, created_at ASC) WHERE status = 'pending';
-- The reaper looks only at running rows whose lease has passed.
CREATE INDEX idx_tasks_lease ON tasks (lease_expires_at) WHERE status = 'running';
CREATE INDEX idx_tasks_created_by ON tasks (created_by);
CREATE INDEX idx_tasks_parent_task_id ON tasks (parent_task_id);
