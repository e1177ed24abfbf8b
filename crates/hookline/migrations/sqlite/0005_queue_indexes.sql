-- The queue's indexes hold only the rows they serve, so they stay the size of the queue, not
-- of the history: pending rows by due time (claims, oldest first), pending rows per endpoint
-- (an endpoint's own next rows, without reading other endpoints' backlog), and claimed rows
-- by lease (expired leases, without reading every claim in flight).
DROP INDEX delivery_due;
CREATE INDEX delivery_due ON delivery(next_attempt_at) WHERE status = 1;
CREATE INDEX delivery_due_endpoint ON delivery(endpoint_id, next_attempt_at) WHERE status = 1;
CREATE INDEX delivery_leased ON delivery(lease_until) WHERE status = 3;
