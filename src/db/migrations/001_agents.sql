-- From the Phase 1 design (seed), unchanged: later migrations only add.
CREATE TABLE agents (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id VARCHAR(100) UNIQUE NOT NULL,
    name VARCHAR(255) NOT NULL,
    role TEXT NOT NULL,
    description TEXT,
    model_provider VARCHAR(50) DEFAULT 'openai',
    model_key VARCHAR(50) DEFAULT 'bsm',
    model_name VARCHAR(100),
    status VARCHAR(20) DEFAULT 'active', -- active, inactive, archived
    capabilities JSONB DEFAULT '[]',
    actions JSONB DEFAULT '[]',
    config JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    created_by UUID,
    version INTEGER DEFAULT 1
);

CREATE INDEX idx_agents_agent_id ON agents(agent_id);
CREATE INDEX idx_agents_status ON agents(status);
CREATE INDEX idx_agents_created_at ON agents(created_at);
