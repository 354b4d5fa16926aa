-- stable keys: a proposal line keeps one key for life; priorities, themes and categories are referenced by id

-- A line's key is the id of its first row, carried into every later version. Lines saved
-- before keys existed are matched across their proposal's versions by number.
ALTER TABLE proposal_lines ADD COLUMN line_key BIGINT;
UPDATE proposal_lines SET line_key = (
    SELECT MIN(l2.id) FROM proposal_lines l2
    JOIN proposal_versions v2 ON v2.id = l2.version_id
    WHERE v2.proposal_id = (SELECT v.proposal_id FROM proposal_versions v WHERE v.id = proposal_lines.version_id)
      AND l2.number = proposal_lines.number
);
CREATE UNIQUE INDEX proposal_lines_version_key ON proposal_lines (version_id, line_key);
CREATE INDEX proposal_lines_key ON proposal_lines (line_key);

-- The priority a line sits under, by id; the name stays as written for a priority the
-- plan does not have (a draft may hold one, which the rules report).
ALTER TABLE proposal_lines ADD COLUMN priority_id BIGINT REFERENCES priorities (id);
UPDATE proposal_lines SET priority_id = (
    SELECT pr.id FROM priorities pr
    JOIN funding_periods fp ON fp.plan_id = pr.plan_id
    JOIN proposals p ON p.period_id = fp.id
    JOIN proposal_versions v ON v.proposal_id = p.id
    WHERE v.id = proposal_lines.version_id AND pr.name = proposal_lines.priority
);

-- A borough's own themes get ids, so a renamed theme keeps its lines.
CREATE TABLE borough_themes (
    id {pk},
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (organisation_id, name)
);
INSERT INTO borough_themes (organisation_id, position, name)
    SELECT organisation_id, position, name FROM local_themes ORDER BY organisation_id, position;
DROP TABLE local_themes;

-- Tags point at what they name: a priority (link), a project category, a borough theme.
ALTER TABLE proposal_line_tags ADD COLUMN ref_id BIGINT;
UPDATE proposal_line_tags SET ref_id = (
    SELECT pr.id FROM priorities pr
    JOIN funding_periods fp ON fp.plan_id = pr.plan_id
    JOIN proposals p ON p.period_id = fp.id
    JOIN proposal_versions v ON v.proposal_id = p.id
    JOIN proposal_lines l ON l.version_id = v.id
    WHERE l.id = proposal_line_tags.line_id AND pr.name = proposal_line_tags.name
) WHERE kind = 'link';
UPDATE proposal_line_tags SET ref_id = (
    SELECT c.id FROM project_categories c WHERE c.name = proposal_line_tags.name
) WHERE kind = 'category';
UPDATE proposal_line_tags SET ref_id = (
    SELECT t.id FROM borough_themes t
    JOIN proposals p ON p.organisation_id = t.organisation_id
    JOIN proposal_versions v ON v.proposal_id = p.id
    JOIN proposal_lines l ON l.version_id = v.id
    WHERE l.id = proposal_line_tags.line_id AND t.name = proposal_line_tags.name
) WHERE kind = 'theme';
