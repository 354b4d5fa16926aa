-- illustrative allocations: a decided allocation whose figure is not from the decision's source (demo data), labelled wherever it is shown
ALTER TABLE allocations ADD COLUMN illustrative BIGINT NOT NULL DEFAULT 0;
