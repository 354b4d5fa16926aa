-- funds, funding periods, budgets, indicator data, scenarios, decisions, allocations
CREATE TABLE funds (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    eligibility TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE funding_periods (
    id {pk},
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    round_name TEXT NOT NULL,
    first_year TEXT NOT NULL,
    last_year TEXT NOT NULL,
    plan_id BIGINT REFERENCES plans (id),
    UNIQUE (fund_id, first_year)
);

CREATE TABLE period_budgets (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    pot_pence BIGINT NOT NULL,
    co_commissioning_bp BIGINT NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (period_id, year)
);

CREATE TABLE indicator_values (
    dataset TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    value_millionths BIGINT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (dataset, area_code)
);

CREATE TABLE scenarios (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    name TEXT NOT NULL,
    illustrative BIGINT NOT NULL DEFAULT 0,
    rules_json TEXT NOT NULL,
    pot_pence BIGINT NOT NULL,
    top_slice_pence BIGINT NOT NULL,
    extra_cost_pence BIGINT NOT NULL,
    total_pence BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (period_id, name)
);

CREATE TABLE scenario_allocations (
    scenario_id BIGINT NOT NULL REFERENCES scenarios (id),
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    amount_pence BIGINT NOT NULL,
    formula_pence BIGINT NOT NULL,
    formula_share_millionths BIGINT NOT NULL,
    previous_pence BIGINT,
    bound_by TEXT NOT NULL,
    PRIMARY KEY (scenario_id, area_code)
);

CREATE TABLE decisions (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    scenario_id BIGINT REFERENCES scenarios (id),
    reference TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    decision_maker TEXT NOT NULL,
    summary TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (period_id, year)
);

CREATE TABLE allocations (
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    amount_pence BIGINT NOT NULL,
    decision_id BIGINT NOT NULL REFERENCES decisions (id),
    PRIMARY KEY (period_id, year, area_code)
);
