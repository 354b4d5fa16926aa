-- borough proposals: versions, lines, comments, local themes
ALTER TABLE funds ADD COLUMN max_lines_per_proposal BIGINT;

CREATE TABLE local_themes (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (organisation_id, name)
);

CREATE TABLE proposals (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    created_at TEXT NOT NULL,
    UNIQUE (period_id, organisation_id)
);

CREATE TABLE proposal_versions (
    id {pk},
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    number BIGINT NOT NULL,
    state TEXT NOT NULL,
    variation_reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    submitted_at TEXT,
    submitted_by TEXT,
    decided_at TEXT,
    decided_by TEXT,
    UNIQUE (proposal_id, number)
);

CREATE TABLE proposal_lines (
    id {pk},
    version_id BIGINT NOT NULL REFERENCES proposal_versions (id),
    position BIGINT NOT NULL,
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    outcome TEXT NOT NULL,
    activity TEXT NOT NULL,
    priority TEXT NOT NULL,
    contract_total_pence BIGINT,
    cross_reference TEXT,
    continues_from TEXT,
    police_posts BIGINT NOT NULL
);
CREATE INDEX proposal_lines_version ON proposal_lines (version_id);

CREATE TABLE proposal_line_years (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    year TEXT NOT NULL,
    cost_pence BIGINT NOT NULL,
    local_authority_pence BIGINT NOT NULL,
    local_authority_in_kind TEXT NOT NULL,
    PRIMARY KEY (line_id, year)
);

-- A line's local themes, links to other priorities and project categories.
CREATE TABLE proposal_line_tags (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (line_id, kind, position)
);

-- Providers (who deliver) and partners (who match-fund), with their amounts per year.
CREATE TABLE proposal_line_contributors (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    voluntary_sector BIGINT NOT NULL,
    in_kind TEXT NOT NULL,
    PRIMARY KEY (line_id, kind, position)
);
CREATE TABLE proposal_line_contributions (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    PRIMARY KEY (line_id, kind, position, year)
);

CREATE TABLE proposal_line_outcomes (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    measure TEXT NOT NULL,
    baseline TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (line_id, position)
);

CREATE TABLE proposal_comments (
    id {pk},
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    version_number BIGINT NOT NULL,
    line_number TEXT,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
