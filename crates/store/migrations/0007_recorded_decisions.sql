-- recorded decisions: the total a published decision states, and amendments to one borough's allocation

-- What the decision's own table says its total is (kept beside the sum of its rows; never
-- adjusted to match).
ALTER TABLE decisions ADD COLUMN stated_total_pence BIGINT;

-- An allocation added or corrected after its year was decided: before (none when added),
-- after, the reason and who recorded it.
CREATE TABLE allocation_amendments (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    decision_id BIGINT NOT NULL REFERENCES decisions (id),
    before_pence BIGINT,
    after_pence BIGINT NOT NULL,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX allocation_amendments_period ON allocation_amendments (period_id, year, id);
