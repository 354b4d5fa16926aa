-- the proposals window of a funding period: boroughs may start and submit proposals from the opening date to the closing date (London dates, inclusive); no opening date: not open for proposals
ALTER TABLE funding_periods ADD COLUMN proposals_open_on TEXT;
ALTER TABLE funding_periods ADD COLUMN proposals_close_on TEXT;
