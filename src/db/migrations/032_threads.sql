-- Conversations (SPEC §12): a thread belongs to one agent and one user; its messages are the
-- completed turns, in order. Times are TIMESTAMP in UTC like every other table.
CREATE TABLE threads (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id UUID NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_threads_created_by ON threads (created_by);
-- The retention sweeper looks for threads idle since before a cut-off.
CREATE INDEX idx_threads_updated_at ON threads (updated_at);

-- `id` orders the messages: they are appended under the thread's row lock, so a thread's ids
-- increase in the order its turns completed.
CREATE TABLE thread_messages (
    id BIGSERIAL PRIMARY KEY,
    thread_id UUID NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    role VARCHAR(20) NOT NULL,
    content TEXT NOT NULL,
    -- An assistant turn that asked for tools: [{id, name, arguments}].
    tool_calls JSONB,
    -- A `tool` message answers this call.
    tool_call_id VARCHAR(200),
    task_id VARCHAR(100),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_thread_messages_thread ON thread_messages (thread_id, id);

-- A thread's runs are tasks of type "thread". A thread is busy while any of them is pending or
-- running; this partial index answers that without touching other tasks.
ALTER TABLE tasks ADD COLUMN thread_id UUID REFERENCES threads(id) ON DELETE SET NULL;
CREATE INDEX idx_tasks_thread ON tasks (thread_id, created_at) WHERE thread_id IS NOT NULL;
