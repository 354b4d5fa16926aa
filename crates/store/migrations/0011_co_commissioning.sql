-- co-commissioning: calls (tranches) on a fund's Co-Commissioning share, consortium bids, their assessment and awards
-- A call's criteria and questions are data (JSON arrays of lcpf_domain::co_commissioning::call types).
CREATE TABLE calls (
    id {pk},
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    name TEXT NOT NULL,
    first_year TEXT NOT NULL,
    last_year TEXT NOT NULL,
    maximum_pence BIGINT NOT NULL,
    themes TEXT NOT NULL,
    leads TEXT NOT NULL,
    minimum_boroughs BIGINT NOT NULL,
    match_funding_required BIGINT NOT NULL,
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    spread_margin_bp BIGINT NOT NULL,
    criteria TEXT NOT NULL,
    questions TEXT NOT NULL,
    copied_from BIGINT REFERENCES calls (id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (fund_id, name)
);

-- A bid's id is its stable key: awards, grants and indicators point at it.
CREATE TABLE bids (
    id {pk},
    call_id BIGINT NOT NULL REFERENCES calls (id),
    lead_organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    submitted_by TEXT,
    decided_at TEXT,
    decided_by TEXT,
    feedback TEXT NOT NULL
);
CREATE INDEX bids_call ON bids (call_id);
CREATE INDEX bids_lead ON bids (lead_organisation_id);

CREATE TABLE bid_partners (
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (bid_id, organisation_id)
);
CREATE INDEX bid_partners_organisation ON bid_partners (organisation_id);

CREATE TABLE bid_boroughs (
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    PRIMARY KEY (bid_id, area_code)
);
CREATE INDEX bid_boroughs_area ON bid_boroughs (area_code);

CREATE TABLE bid_amounts (
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    year TEXT NOT NULL,
    pence BIGINT NOT NULL,
    PRIMARY KEY (bid_id, year)
);

CREATE TABLE bid_match_funding (
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    position BIGINT NOT NULL,
    contributor TEXT NOT NULL,
    year TEXT NOT NULL,
    cash_pence BIGINT NOT NULL,
    in_kind_pence BIGINT NOT NULL,
    in_kind_description TEXT NOT NULL,
    PRIMARY KEY (bid_id, position)
);

-- One answer per question key, as JSON (lcpf_domain::co_commissioning::bid::Answer).
CREATE TABLE bid_answers (
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    question_key TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (bid_id, question_key)
);

-- An outcome's id is its stable key (indicators will point at it); edits keep it.
CREATE TABLE bid_outcomes (
    id {pk},
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    position BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    measure TEXT NOT NULL,
    baseline TEXT NOT NULL,
    target TEXT NOT NULL
);
CREATE INDEX bid_outcomes_bid ON bid_outcomes (bid_id);

-- Assessors assigned to a bid; conflict is NULL until declared, then 'none' or 'conflicted'.
CREATE TABLE bid_assessors (
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    conflict TEXT,
    conflict_note TEXT NOT NULL,
    declared_at TEXT,
    PRIMARY KEY (bid_id, user_id)
);
CREATE INDEX bid_assessors_user ON bid_assessors (user_id);

-- An assessor's mark (JSON lcpf_domain::co_commissioning::assessment::Mark) on a criterion.
CREATE TABLE bid_scores (
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    criterion_key TEXT NOT NULL,
    mark TEXT NOT NULL,
    comment TEXT NOT NULL,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (bid_id, user_id, criterion_key)
);

CREATE TABLE bid_moderations (
    bid_id BIGINT NOT NULL PRIMARY KEY REFERENCES bids (id),
    basis_points BIGINT NOT NULL,
    passes_gates BIGINT NOT NULL,
    reason TEXT NOT NULL,
    moderated_at TEXT NOT NULL,
    moderated_by TEXT NOT NULL
);

-- An award is a first-class record: the grants stage makes grant agreements from it.
CREATE TABLE awards (
    id {pk},
    bid_id BIGINT NOT NULL UNIQUE REFERENCES bids (id),
    call_id BIGINT NOT NULL REFERENCES calls (id),
    decision_reference TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    conditions TEXT NOT NULL,
    assumptions TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX awards_call ON awards (call_id);

CREATE TABLE award_years (
    award_id BIGINT NOT NULL REFERENCES awards (id),
    year TEXT NOT NULL,
    pence BIGINT NOT NULL,
    PRIMARY KEY (award_id, year)
);

-- Files kept through the file-storage interface (content in the store, named by its SHA-256).
CREATE TABLE stored_files (
    key TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    stored_at TEXT NOT NULL,
    stored_by TEXT NOT NULL
);
