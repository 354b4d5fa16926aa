-- grants: agreements with a funding profile per project and year (firm or provisional), their variations and confirmations
-- A grant's id is its stable key (claims and payments will point at it); so is a project's.
CREATE TABLE grants (
    id {pk},
    reference TEXT NOT NULL UNIQUE,
    recipient_organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- proposal (an approved proposal: period and version set), award, or imported
    source_kind TEXT NOT NULL,
    period_id BIGINT REFERENCES funding_periods (id),
    proposal_version_id BIGINT REFERENCES proposal_versions (id),
    award_id BIGINT UNIQUE REFERENCES awards (id),
    first_year TEXT NOT NULL,
    last_year TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    conditions TEXT NOT NULL,
    schedule TEXT NOT NULL,
    ceiling_pence BIGINT NOT NULL,
    ceiling_words TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    offered_at TEXT,
    offered_by TEXT,
    accepted_at TEXT,
    accepted_by TEXT,
    started_at TEXT,
    started_by TEXT
);
CREATE INDEX grants_recipient ON grants (recipient_organisation_id);
CREATE INDEX grants_period ON grants (period_id);

CREATE TABLE grant_projects (
    id {pk},
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- proposal_line (source_key: the line's key), award (the award's id) or imported
    source_kind TEXT NOT NULL,
    source_key BIGINT
);
CREATE INDEX grant_projects_grant ON grant_projects (grant_id);

-- The current profile: the last approved variation's.
CREATE TABLE grant_profile_years (
    project_id BIGINT NOT NULL REFERENCES grant_projects (id),
    year TEXT NOT NULL,
    revenue_pence BIGINT NOT NULL,
    capital_pence BIGINT NOT NULL,
    certainty TEXT NOT NULL,
    PRIMARY KEY (project_id, year)
);

-- Each variation of a signed grant, with the profile before and after (JSON of the domain's Profile).
CREATE TABLE grant_variations (
    id {pk},
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    number BIGINT NOT NULL,
    reason TEXT NOT NULL,
    varied_on TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    before_profile TEXT NOT NULL,
    after_profile TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (grant_id, number)
);

-- Provisional years made firm by a recorded decision.
CREATE TABLE grant_confirmations (
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    year TEXT NOT NULL,
    decision_reference TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (grant_id, year)
);
