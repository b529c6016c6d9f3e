-- From the Phase 1 design (seed), unchanged: later migrations only add.
CREATE TABLE agent_executions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    execution_id VARCHAR(100) UNIQUE NOT NULL,
    agent_id UUID REFERENCES agents(id) ON DELETE CASCADE,
    task_id UUID REFERENCES tasks(id) ON DELETE CASCADE,
    input TEXT NOT NULL,
    output TEXT,
    tokens_used INTEGER,
    execution_time_ms INTEGER,
    status VARCHAR(20) DEFAULT 'success', -- success, failure, timeout
    error_message TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_agent_executions_agent_id ON agent_executions(agent_id);
CREATE INDEX idx_agent_executions_task_id ON agent_executions(task_id);
CREATE INDEX idx_agent_executions_created_at ON agent_executions(created_at);
