-- Schedules (SPEC §14): cron-driven tasks and workflow runs.
CREATE TABLE schedules (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    schedule_id VARCHAR(100) UNIQUE NOT NULL,
    cron VARCHAR(200) NOT NULL,
    timezone VARCHAR(100) NOT NULL DEFAULT 'UTC',
    target_type VARCHAR(20) NOT NULL, -- agent, workflow
    target_id VARCHAR(100) NOT NULL,  -- the agent's or workflow's human id
    input JSONB NOT NULL DEFAULT '{}',
    overlap VARCHAR(10) NOT NULL DEFAULT 'skip', -- skip, allow
    catch_up VARCHAR(10) NOT NULL DEFAULT 'none', -- none, latest
    enabled BOOLEAN NOT NULL DEFAULT true,
    -- The earliest fire time not yet handled. It only moves forward in the transaction that
    -- records the fires before it, so a crash can neither lose nor repeat a fire time.
    next_fire_at TIMESTAMP,
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Every node polls for due schedules; the partial index keeps that a short range read.
CREATE INDEX idx_schedules_due ON schedules (next_fire_at) WHERE enabled;
CREATE INDEX idx_schedules_created_by ON schedules (created_by);

-- One row per fire: the task or run it created, or why it was skipped.
CREATE TABLE schedule_fires (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    schedule_id UUID NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    fire_time TIMESTAMP NOT NULL,
    kind VARCHAR(10) NOT NULL, -- cron, catch-up, manual
    status VARCHAR(10) NOT NULL, -- fired, skipped (overlap), failed (the target refused it)
    task_id UUID REFERENCES tasks(id) ON DELETE SET NULL,
    run_id UUID REFERENCES workflow_runs(id) ON DELETE SET NULL,
    error TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Exactly one fire per (schedule, fire time) whatever the number of nodes: the uniqueness the
-- fire transaction relies on. Manual triggers are not fire times of the cron and stay out of it.
CREATE UNIQUE INDEX idx_schedule_fires_once ON schedule_fires (schedule_id, fire_time) WHERE kind <> 'manual';
CREATE INDEX idx_schedule_fires_list ON schedule_fires (schedule_id, fire_time DESC);

-- A fired workflow run carries its schedule and fire time, as a fired task does in `metadata`.
ALTER TABLE workflow_runs ADD COLUMN metadata JSONB NOT NULL DEFAULT '{}';
