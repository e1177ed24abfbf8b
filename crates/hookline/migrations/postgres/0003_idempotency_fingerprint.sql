-- Idempotency keys are bound to the request that claimed them: a SHA-256 of its method,
-- path with query and body (hex). NULL for keys claimed before this migration.
ALTER TABLE idempotency ADD COLUMN fingerprint TEXT COLLATE "C";
