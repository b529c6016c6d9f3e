-- Hash chain over the audit log (SPEC §6). Each new row gets the next `seq`, the previous row's
-- hash, and sha256(prev_hash || canonical JSON of its content); editing, deleting or reordering a
-- row breaks the chain at that row. Rows written before this migration keep seq NULL and stay
-- outside the chain. The unique index makes a second writer that skipped the lock fail loudly
-- instead of forking the chain.
ALTER TABLE audit_logs ADD COLUMN seq BIGINT;
ALTER TABLE audit_logs ADD COLUMN prev_hash CHAR(64);
ALTER TABLE audit_logs ADD COLUMN hash CHAR(64);

CREATE UNIQUE INDEX idx_audit_logs_seq ON audit_logs(seq);
