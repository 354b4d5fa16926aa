-- SQLite cannot drop NOT NULL from payments.claim_id: the table is rebuilt with what each
-- payment is for (basis: claim, advance or milestone) and the quarter it pays.
CREATE TABLE payments_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    basis TEXT NOT NULL,
    claim_id BIGINT UNIQUE REFERENCES grant_claims (id),
    milestone_id BIGINT UNIQUE REFERENCES grant_milestones (id),
    quarter_year TEXT NOT NULL,
    quarter_number BIGINT NOT NULL,
    year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    state TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    authorised_at TEXT,
    authorised_by TEXT,
    idempotency_key TEXT UNIQUE,
    payment_reference TEXT UNIQUE,
    export_id BIGINT REFERENCES finance_exports (id)
);
INSERT INTO payments_rebuilt (id, grant_id, basis, claim_id, milestone_id, quarter_year, quarter_number, year, amount_pence, state, requested_at, requested_by, authorised_at, authorised_by, idempotency_key, payment_reference, export_id)
SELECT p.id, p.grant_id, 'claim', p.claim_id, NULL, c.year, c.quarter_number, p.year, p.amount_pence, p.state, p.requested_at, p.requested_by, p.authorised_at, p.authorised_by, p.idempotency_key, p.payment_reference, p.export_id
FROM payments p JOIN grant_claims c ON c.id = p.claim_id;
DROP TABLE payments;
ALTER TABLE payments_rebuilt RENAME TO payments;
CREATE INDEX payments_state ON payments (state);
CREATE INDEX payments_grant ON payments (grant_id);
-- Each quarter is advanced once.
CREATE UNIQUE INDEX payments_advance ON payments (grant_id, quarter_year, quarter_number) WHERE basis = 'advance';
