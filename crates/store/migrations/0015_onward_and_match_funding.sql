-- onward funding and match funding: a consortium lead's money to its partners, recorded against its grant; match funding reported with each claim
CREATE TABLE grant_onward_funding (
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    note TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (grant_id, organisation_id, year)
);
CREATE INDEX grant_onward_funding_organisation ON grant_onward_funding (organisation_id);

-- The match funding the recipient received in the claim's quarter (cash and valued in kind).
ALTER TABLE grant_claims ADD COLUMN match_funding_pence BIGINT NOT NULL DEFAULT 0;
