-- The activity log and the home page read an organisation's newest events first, of every kind
-- or of one: walking these indexes backwards stops at the page's limit, where the time index
-- made every read sort the organisation's whole log. IF NOT EXISTS: on a large PostgreSQL log
-- an operator may build them beforehand with CREATE INDEX CONCURRENTLY (same names), which the
-- migrator's transaction cannot.
CREATE INDEX IF NOT EXISTS audit_events_org_id ON audit_events (org_id, id);
CREATE INDEX IF NOT EXISTS audit_events_org_action_id ON audit_events (org_id, action, id);
