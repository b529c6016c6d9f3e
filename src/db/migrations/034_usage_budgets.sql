-- Usage and cost (SPEC §14). Only additions.

-- What each attempt consumed: tokens by direction, and their price in USD at the time of the
-- attempt (from the agent's model's `parameters`; 0 when the model has no price).
ALTER TABLE agent_executions ADD COLUMN input_tokens INTEGER;
ALTER TABLE agent_executions ADD COLUMN output_tokens INTEGER;
ALTER TABLE agent_executions ADD COLUMN cost_usd DOUBLE PRECISION;
-- An agent's spending today (its budget check) reads one short range of this index.
CREATE INDEX idx_agent_executions_agent_day ON agent_executions(agent_id, created_at);

-- Model parameters; prices are `inputPricePerMTok` / `outputPricePerMTok` (USD per million tokens).
ALTER TABLE ml_models ADD COLUMN parameters JSONB NOT NULL DEFAULT '{}';
-- An agent's price is looked up by its `model_name` at every completion.
CREATE INDEX idx_ml_models_name ON ml_models(name);

-- A user's daily spending limit in USD (NULL: none), counted per UTC day.
ALTER TABLE users ADD COLUMN budget_usd_per_day DOUBLE PRECISION;
