-- Hookline extension: a per-endpoint total timeout for one attempt, in seconds.
ALTER TABLE endpoint ADD COLUMN timeout_secs INTEGER;
