-- The activity log and the home page read an organisation's newest events first: walking this
-- index backwards stops at the page's limit, where the time index made every read sort the
-- organisation's whole log.
CREATE INDEX audit_events_org_id ON audit_events (org_id, id);
