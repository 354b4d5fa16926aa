-- What each payment is for (basis: claim, advance or milestone) and the quarter it pays.
ALTER TABLE payments ADD COLUMN basis TEXT NOT NULL DEFAULT 'claim';
ALTER TABLE payments ALTER COLUMN basis DROP DEFAULT;
ALTER TABLE payments ALTER COLUMN claim_id DROP NOT NULL;
ALTER TABLE payments ADD COLUMN milestone_id BIGINT UNIQUE REFERENCES grant_milestones (id);
ALTER TABLE payments ADD COLUMN quarter_year TEXT;
ALTER TABLE payments ADD COLUMN quarter_number BIGINT;
UPDATE payments p SET quarter_year = c.year, quarter_number = c.quarter_number FROM grant_claims c WHERE c.id = p.claim_id;
ALTER TABLE payments ALTER COLUMN quarter_year SET NOT NULL;
ALTER TABLE payments ALTER COLUMN quarter_number SET NOT NULL;
-- Each quarter is advanced once.
CREATE UNIQUE INDEX payments_advance ON payments (grant_id, quarter_year, quarter_number) WHERE basis = 'advance';
