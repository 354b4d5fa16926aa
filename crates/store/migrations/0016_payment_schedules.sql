-- payment schedules: grants paid quarterly in advance or on milestones as well as in arrears on accepted claims; every payment says what it is for
-- A milestone grant's agreed payment points; its id is the stable key a payment points at.
CREATE TABLE grant_milestones (
    id {pk},
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    title TEXT NOT NULL,
    year TEXT NOT NULL,
    due_on TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    state TEXT NOT NULL,
    -- What the recipient said shows it is met.
    report TEXT NOT NULL,
    -- The funder's comments when it returned the report.
    comments TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    reported_at TEXT,
    reported_by TEXT,
    decided_at TEXT,
    decided_by TEXT
);
CREATE INDEX grant_milestones_grant ON grant_milestones (grant_id);

-- At close-out: what accepted claims report as spent, and what was paid but not spent (an
-- advance or milestone ahead of spend), to be recovered from the recipient.
ALTER TABLE grant_closeouts ADD COLUMN claimed_pence BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grant_closeouts ADD COLUMN to_recover_pence BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_closeouts ADD COLUMN claimed_pence BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_closeouts ADD COLUMN to_recover_pence BIGINT NOT NULL DEFAULT 0;
