-- The activity log and the home page read an organisation's newest events first: walking this
-- index backwards stops at the page's limit, where the time index made every read sort the
-- organisation's whole log. IF NOT EXISTS: on a large PostgreSQL log an operator may build it
-- beforehand with CREATE INDEX CONCURRENTLY (same name), which the migrator's transaction cannot.
CREATE INDEX IF NOT EXISTS audit_events_org_id ON audit_events (org_id, id);
