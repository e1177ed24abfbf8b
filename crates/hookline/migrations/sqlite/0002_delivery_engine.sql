-- The delivery engine: leases for claimed deliveries, attempt counts, manual triggers, and
-- a readable failure reason on each attempt.
ALTER TABLE delivery ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE delivery ADD COLUMN lease_until INTEGER;
ALTER TABLE delivery ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempt ADD COLUMN failure_reason TEXT;
