-- Times are milliseconds since the Unix epoch. JSON columns hold JSON text.
CREATE TABLE application (
    id TEXT PRIMARY KEY,
    uid TEXT UNIQUE,
    name TEXT NOT NULL,
    metadata TEXT NOT NULL,
    throttle_rate INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE event_type (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    archived INTEGER NOT NULL,
    deprecated INTEGER NOT NULL,
    feature_flag TEXT,
    schemas TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE endpoint (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES application(id) ON DELETE CASCADE,
    uid TEXT,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    disabled INTEGER NOT NULL,
    event_types TEXT,
    channels TEXT,
    metadata TEXT NOT NULL,
    throttle_rate INTEGER,
    headers BLOB NOT NULL,          -- sealed JSON object
    secret BLOB NOT NULL,           -- sealed
    previous_secrets BLOB NOT NULL, -- sealed JSON array
    signature_scheme TEXT NOT NULL,
    tolerance_hint INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (app_id, uid)
);
CREATE INDEX endpoint_app ON endpoint(app_id, id);

CREATE TABLE message (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES application(id) ON DELETE CASCADE,
    event_id TEXT,
    event_type TEXT NOT NULL,
    channels TEXT,
    payload TEXT,
    payload_expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (app_id, event_id)
);
CREATE INDEX message_app ON message(app_id, id);

-- One row per (message, endpoint): the delivery engine's queue.
CREATE TABLE delivery (
    msg_id TEXT NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    status INTEGER NOT NULL,
    next_attempt_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (msg_id, endpoint_id)
);
CREATE INDEX delivery_due ON delivery(status, next_attempt_at);
CREATE INDEX delivery_endpoint ON delivery(endpoint_id, msg_id);

CREATE TABLE attempt (
    id TEXT PRIMARY KEY,
    msg_id TEXT NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    response_status_code INTEGER NOT NULL,
    response TEXT NOT NULL,
    response_duration_ms INTEGER NOT NULL,
    trigger_type INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX attempt_msg ON attempt(msg_id, id);
CREATE INDEX attempt_endpoint ON attempt(endpoint_id, id);

CREATE TABLE token (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    app_id TEXT REFERENCES application(id) ON DELETE CASCADE,
    expires_at INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE idempotency (
    key TEXT PRIMARY KEY,
    status INTEGER,                 -- NULL while the first request runs
    body BLOB,
    created_at INTEGER NOT NULL
);
