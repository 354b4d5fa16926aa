-- close-out: a funding period closed after its last quarter; each grant's unspent money returned to the fund, never carried over
CREATE TABLE period_closeouts (
    period_id BIGINT NOT NULL PRIMARY KEY REFERENCES funding_periods (id),
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    profile_pence BIGINT NOT NULL,
    paid_pence BIGINT NOT NULL,
    returned_pence BIGINT NOT NULL
);

-- Each grant closed with its period: its profile, what was paid, and what returned to the fund.
CREATE TABLE grant_closeouts (
    grant_id BIGINT NOT NULL PRIMARY KEY REFERENCES grants (id),
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    profile_pence BIGINT NOT NULL,
    paid_pence BIGINT NOT NULL,
    returned_pence BIGINT NOT NULL
);
CREATE INDEX grant_closeouts_period ON grant_closeouts (period_id);
