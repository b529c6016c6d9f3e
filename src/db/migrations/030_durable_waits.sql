-- Durable waits and people in the loop (SPEC §11). Only additions.
--
-- A task may now be `waiting`: it holds no worker slot and no lease while it waits for its
-- delegated children or for a person's decision. What it has done so far (the conversation with
-- its model, tool calls and their results) is kept in `checkpoint`, so any node resumes it
-- without asking the model again for turns that finished.
ALTER TABLE tasks ADD COLUMN checkpoint JSONB;

-- One request for a person's decision: before a tool call runs (`tool_call`, the task waits) or
-- as a workflow step (`workflow_step`, the run waits).
CREATE TABLE approvals (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    status VARCHAR(20) NOT NULL DEFAULT 'pending', -- pending, approved, rejected, expired, cancelled
    kind VARCHAR(20) NOT NULL, -- tool_call, workflow_step
    task_id UUID REFERENCES tasks(id) ON DELETE CASCADE,
    -- Which of the task's tool calls asked: a task resumed after a crash asks again under the
    -- same key and finds this row instead of making a second one.
    call_key VARCHAR(200),
    run_id UUID REFERENCES workflow_runs(id) ON DELETE CASCADE,
    step_id VARCHAR(64),
    action VARCHAR(200),
    args JSONB,
    -- The arguments the model asked for, kept when a person approves edited ones.
    original_args JSONB,
    message TEXT,
    requested_by UUID,
    decided_by UUID,
    comment TEXT,
    on_timeout VARCHAR(10) NOT NULL DEFAULT 'reject', -- reject, approve
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    UNIQUE (task_id, call_key),
    UNIQUE (run_id, step_id)
);

-- The expiry sweep reads only pending rows, in deadline order.
CREATE INDEX idx_approvals_pending_expiry ON approvals (expires_at) WHERE status = 'pending';
CREATE INDEX idx_approvals_requested_by ON approvals (requested_by, created_at);
CREATE INDEX idx_approvals_created_at ON approvals (created_at);

-- Puts a waiting task back in the queue when nothing it waits for is left: no unfinished child
-- and no pending approval. Called in the transaction of every event that may release it (a child
-- ending, a decision, an expiry, the park itself), so a crash anywhere loses no wake-up.
-- The row lock comes first: in READ COMMITTED each later statement takes a fresh snapshot, so two
-- children ending at once cannot each see the other as unfinished and both leave the task waiting.
CREATE FUNCTION bsm_resume_waiting_task(p_id UUID) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM tasks WHERE id = p_id AND status = 'waiting' FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF EXISTS (SELECT 1 FROM tasks WHERE parent_task_id = p_id
             AND status NOT IN ('completed', 'failed', 'cancelled'))
     OR EXISTS (SELECT 1 FROM approvals WHERE task_id = p_id AND status = 'pending') THEN
    RETURN false;
  END IF;
  UPDATE tasks SET status = 'pending', run_at = CURRENT_TIMESTAMP WHERE id = p_id;
  PERFORM pg_notify('bsm_task_new', '');
  RETURN true;
END
$$;

-- A child's end releases its parent in the child's own transaction, whichever statement ended it
-- (completion batch, failure, cancel, the lease reaper).
CREATE FUNCTION bsm_child_task_ended() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bsm_resume_waiting_task(NEW.parent_task_id);
  RETURN NULL;
END
$$;

CREATE TRIGGER tasks_child_ended AFTER UPDATE OF status ON tasks
FOR EACH ROW
WHEN (NEW.parent_task_id IS NOT NULL
      AND NEW.status IN ('completed', 'failed', 'cancelled')
      AND OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION bsm_child_task_ended();

