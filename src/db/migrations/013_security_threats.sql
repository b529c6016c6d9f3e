-- Every detection of the threat detector (brute force, credential stuffing, injection patterns,
-- request-rate anomalies), for GET /api/security/threats.
CREATE TABLE security_threats (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    type VARCHAR(50) NOT NULL,
    severity VARCHAR(20) NOT NULL,
    ip_address VARCHAR(45),
    user_id UUID REFERENCES users(id) ON DELETE SET NULL,
    username VARCHAR(100),
    details JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_security_threats_created ON security_threats(created_at DESC);
CREATE INDEX idx_security_threats_type ON security_threats(type);
