-- When an endpoint started failing without a success since: it is disabled once that lasts
-- too long (five days by default).
ALTER TABLE endpoint ADD COLUMN failing_since INTEGER;
