-- Money at the edges (issue 20).

-- Every grant belongs to one funding period, and closes with that period alone. Grants made
-- from proposals have always had theirs; a grant from an award belongs to the period of its
-- call's fund that holds the call's last year; an imported grant to the one period that holds
-- its last year (where periods of several funds do, it is left for a funder admin to say:
-- such a grant closes with no period until then, rather than with the wrong one).
UPDATE grants SET period_id = (
    SELECT MIN(fp.id) FROM awards a
    JOIN calls c ON c.id = a.call_id
    JOIN funding_periods fp ON fp.fund_id = c.fund_id
        AND fp.first_year <= c.last_year AND fp.last_year >= c.last_year
    WHERE a.id = grants.award_id)
WHERE source_kind = 'award' AND period_id IS NULL;

UPDATE grants SET period_id = (
    SELECT MIN(fp.id) FROM funding_periods fp
    WHERE fp.first_year <= grants.last_year AND fp.last_year >= grants.last_year)
WHERE source_kind = 'imported' AND period_id IS NULL
    AND (SELECT COUNT(*) FROM funding_periods fp
         WHERE fp.first_year <= grants.last_year AND fp.last_year >= grants.last_year) = 1;

-- A payment request that no longer fits (its year lowered by a variation) can be cancelled
-- before it is authorised, with a reason, by whom and when.
ALTER TABLE payments ADD COLUMN cancelled_at TEXT;
ALTER TABLE payments ADD COLUMN cancelled_by TEXT;
ALTER TABLE payments ADD COLUMN cancel_reason TEXT;
