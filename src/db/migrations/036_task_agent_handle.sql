-- A task names its agent by the human handle (`agentId`, e.g. `legal-reviewer`) in every answer
-- (SPEC §14 "Consistent shapes"); `agent_id` keeps the UUID for joins. Agent handles never change
-- (not patchable), so the copy cannot go stale, and it survives the agent's deletion.
ALTER TABLE tasks ADD COLUMN agent_handle VARCHAR(100);

UPDATE tasks t SET agent_handle = a.agent_id FROM agents a WHERE a.id = t.agent_id;

-- Filled on insert from the agent row (one primary-key lookup), so every insert path — the queue,
-- delegation, workflows, schedules — records it without knowing about it.
CREATE FUNCTION bsm_task_agent_handle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.agent_handle IS NULL AND NEW.agent_id IS NOT NULL THEN
    SELECT a.agent_id INTO NEW.agent_handle FROM agents a WHERE a.id = NEW.agent_id;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER tasks_agent_handle BEFORE INSERT ON tasks
  FOR EACH ROW EXECUTE FUNCTION bsm_task_agent_handle();
