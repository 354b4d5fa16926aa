-- eligibility rules as data: each fund rule in its own words with what it refuses (JSON); NULL: the words of eligibility, shown but not checked
ALTER TABLE funds ADD COLUMN eligibility_rules TEXT;
