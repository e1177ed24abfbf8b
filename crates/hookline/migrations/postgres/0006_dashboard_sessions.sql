-- Dashboard sessions and the one-time codes of app-portal links, by the SHA-256 (hex) of
-- their secret text; `caps` is the app-portal capability bit set (api/caps.rs). On the
-- token too: NULL (tokens issued before this migration, admin tokens) means every one.
CREATE TABLE dashboard_session (
    hash TEXT COLLATE "C" PRIMARY KEY,
    id TEXT COLLATE "C" NOT NULL,
    app_id TEXT COLLATE "C" REFERENCES application(id) ON DELETE CASCADE,
    caps BIGINT NOT NULL,
    csrf TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dashboard_session_expiry ON dashboard_session(expires_at);

CREATE TABLE portal_code (
    hash TEXT COLLATE "C" PRIMARY KEY,
    app_id TEXT COLLATE "C" NOT NULL REFERENCES application(id) ON DELETE CASCADE,
    caps BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX portal_code_expiry ON portal_code(expires_at);

ALTER TABLE token ADD COLUMN caps BIGINT;
