-- The headers of each attempt's request as Hookline sent them: a JSON array of
-- [name, value] pairs in the order sent, the value null for a header taken from the
-- endpoint's own headers (which may carry credentials: they stay sealed on the endpoint).
-- NULL for attempts recorded before this column, and for those of `hookline listen`.
ALTER TABLE attempt ADD COLUMN request_headers TEXT;
-- Why the delivery engine disabled the endpoint, in words (410 Gone, failing too long);
-- NULL when it is enabled or a person disabled it.
ALTER TABLE endpoint ADD COLUMN disabled_reason TEXT;
