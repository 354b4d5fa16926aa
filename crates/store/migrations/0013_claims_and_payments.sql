-- claims and payments: quarterly claims of actual spend with evidence, payment requests under segregation of duties and spend authority, finance exports
-- The most a funder user may authorise in one payment; none: no spend authority.
ALTER TABLE users ADD COLUMN spend_authority_pence BIGINT;
-- Where finance books a grant's payments.
ALTER TABLE grants ADD COLUMN cost_centre TEXT NOT NULL DEFAULT 'MOPAC-LCPF';

-- A recipient's claim for one quarter of a grant (one per quarter); its id is the stable key a payment points at.
CREATE TABLE grant_claims (
    id {pk},
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    year TEXT NOT NULL,
    quarter_number BIGINT NOT NULL,
    state TEXT NOT NULL,
    narrative TEXT NOT NULL,
    -- What the recipient expects to spend in the period's remaining quarters.
    forecast_pence BIGINT NOT NULL,
    -- The funder's comments when it returned the claim.
    comments TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    submitted_at TEXT,
    submitted_by TEXT,
    decided_at TEXT,
    decided_by TEXT,
    UNIQUE (grant_id, year, quarter_number)
);
CREATE INDEX grant_claims_state ON grant_claims (state);

-- Actual spend per project in the claim's quarter.
CREATE TABLE grant_claim_spend (
    claim_id BIGINT NOT NULL REFERENCES grant_claims (id),
    project_id BIGINT NOT NULL REFERENCES grant_projects (id),
    revenue_pence BIGINT NOT NULL,
    capital_pence BIGINT NOT NULL,
    PRIMARY KEY (claim_id, project_id)
);

-- Evidence attached to a claim (content in the file store).
CREATE TABLE grant_claim_evidence (
    claim_id BIGINT NOT NULL REFERENCES grant_claims (id),
    file_key TEXT NOT NULL REFERENCES stored_files (key),
    name TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (claim_id, file_key)
);

-- The finance exports: each authorised payment goes in exactly one.
CREATE TABLE finance_exports (
    id {pk},
    exported_at TEXT NOT NULL,
    exported_by TEXT NOT NULL,
    payments BIGINT NOT NULL,
    total_pence BIGINT NOT NULL,
    csv TEXT NOT NULL
);

-- A payment request made from an accepted claim; authorised once (the idempotency key makes a retry harmless), exported once.
CREATE TABLE payments (
    id {pk},
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    claim_id BIGINT NOT NULL UNIQUE REFERENCES grant_claims (id),
    year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    state TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    authorised_at TEXT,
    authorised_by TEXT,
    idempotency_key TEXT UNIQUE,
    payment_reference TEXT UNIQUE,
    export_id BIGINT REFERENCES finance_exports (id)
);
CREATE INDEX payments_state ON payments (state);
CREATE INDEX payments_grant ON payments (grant_id);
