-- The secrets vault (SPEC §6): named secrets, encrypted at rest. The CHECK refuses anything that
-- is not a versioned ciphertext (`v1.<keyId>.…`), so a plaintext value cannot be stored even by
-- mistake.
CREATE TABLE secrets (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(128) UNIQUE NOT NULL,
    ciphertext TEXT NOT NULL CHECK (ciphertext ~ '^v[0-9]+\.[A-Za-z0-9_-]+\.'),
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    updated_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
