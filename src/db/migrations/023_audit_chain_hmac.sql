-- Audit chain, second form (SPEC §10): requests insert rows without a chain position (seq NULL)
-- and one chainer at a time, elected per batch by an advisory lock, gives them seq, prev_hash and
-- an HMAC-SHA256 hash under BSM_AUDIT_KEY (a key the database never holds).
--
-- audit_chain_state has one row: the last seq hashed with plain SHA-256 by the first design
-- (0 on a new database), and an HMAC of that number under the audit key, so nobody without the
-- key can move the cutover to pass off recomputed SHA-256 hashes. The chainer writes it once,
-- under the chain lock, before it chains its first row; it is missing until then.
CREATE TABLE audit_chain_state (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    sha256_until_seq BIGINT NOT NULL,
    mac CHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- The chainer's work list: rows still waiting for a position, oldest first. Small by design (the
-- chainer keeps it near empty), so the partial index costs almost nothing on insert.
CREATE INDEX idx_audit_logs_unchained ON audit_logs (created_at, id) WHERE seq IS NULL;
