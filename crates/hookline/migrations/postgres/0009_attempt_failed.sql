-- The failed attempts of an application, and of an endpoint, newest first: the delivery
-- log filtered to failures reads these instead of walking every attempt until it has found
-- a page of failures (an application that rarely fails would read all of its attempts).
-- Partial, so recording a successful attempt, the common case, costs no more than before.
-- Queries name `status <> 0` for the planner to choose them (see `list_attempts`).
CREATE INDEX attempt_app_failed ON attempt(app_id, id) WHERE status <> 0;
CREATE INDEX attempt_endpoint_failed ON attempt(endpoint_id, id) WHERE status <> 0;
