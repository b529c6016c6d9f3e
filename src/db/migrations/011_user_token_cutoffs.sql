-- Per user: access and refresh tokens issued before `tokens_valid_after` are refused. Bumped on
-- password change, deactivation and role change. A side table rather than a column on `users`,
-- so the seed's table keeps exactly its shape.
CREATE TABLE user_token_cutoffs (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    tokens_valid_after TIMESTAMP NOT NULL
);
