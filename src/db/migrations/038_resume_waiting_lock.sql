-- Fixes a lost wake-up in bsm_resume_waiting_task (migration 030; shipped migrations are never
-- edited). 030 locked the task only when it was already `waiting`. A child ending while its
-- parent was still `running` found nothing to lock; the parent then parked and, its snapshot not
-- yet seeing the child's uncommitted end, stayed `waiting` for good (seen on PostgreSQL with a
-- fast echo child). Locking the row whatever its status orders the two transactions: the later
-- one waits for the earlier to commit and then sees its change.
CREATE OR REPLACE FUNCTION bsm_resume_waiting_task(p_id UUID) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
  current_status VARCHAR(20);
BEGIN
  SELECT status INTO current_status FROM tasks WHERE id = p_id FOR UPDATE;
  IF current_status IS DISTINCT FROM 'waiting' THEN
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
