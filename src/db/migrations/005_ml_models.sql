-- From the Phase 1 design (seed), unchanged: later migrations only add.
CREATE TABLE ml_models (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    model_id VARCHAR(100) UNIQUE NOT NULL,
    name VARCHAR(255) NOT NULL,
    type VARCHAR(50) NOT NULL, -- classification, regression, nlp, etc.
    version VARCHAR(20) NOT NULL,
    status VARCHAR(20) DEFAULT 'training', -- training, deployed, archived
    framework VARCHAR(50), -- tensorflow, pytorch, scikit-learn
    metrics JSONB DEFAULT '{}',
    config JSONB DEFAULT '{}',
    file_path TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    deployed_at TIMESTAMP,
    created_by UUID REFERENCES users(id)
);

CREATE INDEX idx_ml_models_model_id ON ml_models(model_id);
CREATE INDEX idx_ml_models_status ON ml_models(status);
