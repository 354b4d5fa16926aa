-- foundation: areas, organisations, users, sessions, tokens, audit, plans
CREATE TABLE areas (
    ons_code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    org_id TEXT,
    in_lcpf BIGINT NOT NULL DEFAULT 0,
    boundary_geojson TEXT
);

CREATE TABLE organisations (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    org_id TEXT UNIQUE,
    charity_number TEXT,
    company_number TEXT,
    area_code TEXT REFERENCES areas (ons_code),
    contact_email TEXT,
    website TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX organisations_kind ON organisations (kind);

CREATE TABLE users (
    id {pk},
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id),
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE sessions (
    id {pk},
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id {pk},
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE sign_in_attempts (
    id {pk},
    email TEXT NOT NULL,
    at TEXT NOT NULL,
    succeeded BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_email_at ON sign_in_attempts (email, at);

CREATE TABLE audit_log (
    id {pk},
    at TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

CREATE TABLE plans (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    first_year TEXT NOT NULL,
    last_year TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE priorities (
    id {pk},
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    guidance TEXT NOT NULL,
    UNIQUE (plan_id, name)
);

CREATE TABLE objectives (
    id {pk},
    priority_id BIGINT NOT NULL REFERENCES priorities (id),
    position BIGINT NOT NULL,
    text TEXT NOT NULL
);

CREATE TABLE project_categories (
    id {pk},
    position BIGINT NOT NULL,
    name TEXT NOT NULL UNIQUE
);
