-- hardening: sign-in attempts by client, audit log indexes, no TRUNCATE of the audit log
ALTER TABLE sign_in_attempts ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX sign_in_attempts_client_at ON sign_in_attempts (client, at);

-- Every audit view is newest first (by id) under at most one filter's index.
CREATE INDEX audit_log_action_id ON audit_log (action, id);
CREATE INDEX audit_log_actor_id ON audit_log (actor, id);
CREATE INDEX audit_log_entity_type_id ON audit_log (entity_type, id);
CREATE INDEX audit_log_record_id ON audit_log (entity_type, entity_id, id);
