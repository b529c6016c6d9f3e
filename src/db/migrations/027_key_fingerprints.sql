-- Same secrets on every node (SPEC §10): the first node records a fingerprint of JWT_SECRET and of
-- ENCRYPTION_KEY — an HMAC-SHA256 of a fixed constant under the key, never the key — and every
-- later node compares its own, refusing to start (naming the variable) when they differ.
CREATE TABLE key_fingerprints (
    name VARCHAR(50) PRIMARY KEY, -- JWT_SECRET, ENCRYPTION_KEY
    fingerprint VARCHAR(64) NOT NULL, -- hex HMAC-SHA256(key, constant)
    recorded_by VARCHAR(255), -- node id of the node that recorded it (host:pid:…)
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
