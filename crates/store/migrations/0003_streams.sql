-- other named funding streams per period and year
CREATE TABLE period_streams (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    name TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    note TEXT NOT NULL,
    UNIQUE (period_id, year, name)
);
