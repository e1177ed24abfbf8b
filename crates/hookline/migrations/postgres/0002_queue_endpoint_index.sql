-- Pending rows per endpoint: an endpoint's own next rows, without reading other endpoints'
-- backlog (the engine refills an endpoint it is draining from here).
CREATE INDEX delivery_due_endpoint ON delivery(endpoint_id, next_attempt_at) WHERE status = 1;
