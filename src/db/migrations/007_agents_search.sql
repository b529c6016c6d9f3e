-- Ranked full-text search over agents (SPEC §3.2; a TODO in the seed). A stored generated column
-- keeps the vector in step with every write; weights rank name > role, capabilities > description.
ALTER TABLE agents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(role, '')), 'B') ||
    setweight(jsonb_to_tsvector('english', coalesce(capabilities, '[]'::jsonb), '["string"]'), 'B') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C')
) STORED;

CREATE INDEX idx_agents_search_vector ON agents USING GIN (search_vector);
