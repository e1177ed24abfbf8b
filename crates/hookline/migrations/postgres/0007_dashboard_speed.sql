-- The dashboard's pages in bounded reads with millions of attempts (issue 14).
--
-- Each attempt names its application, so the application-wide delivery log is a range of
-- `attempt_app` instead of a join of every attempt to its message. Filled from the message
-- for the attempts already stored.
ALTER TABLE attempt ADD COLUMN app_id TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE attempt SET app_id = m.app_id FROM message m WHERE m.id = attempt.msg_id;
CREATE INDEX attempt_app ON attempt(app_id, id);

-- The overview's counts per minute (start of the minute, in milliseconds), written by the
-- readers, not by the writers: a minute is counted once, after it has closed, and read
-- from here from then on. Minutes with nothing in them have no row.
CREATE TABLE activity_minute (
    minute BIGINT PRIMARY KEY,
    messages BIGINT NOT NULL,
    delivered BIGINT NOT NULL,
    failed BIGINT NOT NULL
);
-- The one span [from_ms, until_ms) of minutes counted into `activity_minute`.
CREATE TABLE activity_counted (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    from_ms BIGINT NOT NULL,
    until_ms BIGINT NOT NULL
);
