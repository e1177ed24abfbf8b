-- The PostgreSQL schema: the same tables as the SQLite one (its four migrations in one),
-- plus the state that several nodes share. Times are milliseconds since the Unix epoch.
-- Integers are BIGINT throughout so that both backends read the same Rust types. JSON
-- columns hold JSON text, as in SQLite; the routing query casts them to jsonb.
CREATE TABLE application (
    id TEXT COLLATE "C" PRIMARY KEY,
    uid TEXT COLLATE "C" UNIQUE,
    name TEXT COLLATE "C" NOT NULL,
    metadata TEXT NOT NULL,
    throttle_rate BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE event_type (
    name TEXT COLLATE "C" PRIMARY KEY,
    description TEXT NOT NULL,
    archived BOOLEAN NOT NULL,
    deprecated BOOLEAN NOT NULL,
    feature_flag TEXT,
    schemas TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE endpoint (
    id TEXT COLLATE "C" PRIMARY KEY,
    app_id TEXT COLLATE "C" NOT NULL REFERENCES application(id) ON DELETE CASCADE,
    uid TEXT COLLATE "C",
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    disabled BOOLEAN NOT NULL,
    event_types TEXT,
    channels TEXT,
    metadata TEXT NOT NULL,
    throttle_rate BIGINT,
    headers BYTEA NOT NULL,          -- sealed JSON object
    secret BYTEA NOT NULL,           -- sealed
    previous_secrets BYTEA NOT NULL, -- sealed JSON array
    signature_scheme TEXT NOT NULL,
    tolerance_hint BIGINT,
    timeout_secs BIGINT,
    failing_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (app_id, uid)
);
CREATE INDEX endpoint_app ON endpoint(app_id, id);

-- What nodes share about an endpoint's health and pace: when its circuit breaker lets
-- deliveries through again (milliseconds), and the next free slot of its throttle
-- (microseconds, so that rates above 1,000/s space exactly too).
CREATE TABLE endpoint_gate (
    endpoint_id TEXT COLLATE "C" PRIMARY KEY REFERENCES endpoint(id) ON DELETE CASCADE,
    circuit_open_until BIGINT,
    throttle_next_us BIGINT
);

CREATE TABLE message (
    id TEXT COLLATE "C" PRIMARY KEY,
    app_id TEXT COLLATE "C" NOT NULL REFERENCES application(id) ON DELETE CASCADE,
    event_id TEXT COLLATE "C",
    event_type TEXT COLLATE "C" NOT NULL,
    channels TEXT,
    payload TEXT,
    payload_expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (app_id, event_id)
);
CREATE INDEX message_app ON message(app_id, id);
CREATE INDEX message_payload_expiry ON message(payload_expires_at) WHERE payload IS NOT NULL;

-- One row per (message, endpoint): the delivery engine's queue.
CREATE TABLE delivery (
    msg_id TEXT COLLATE "C" NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    status BIGINT NOT NULL,
    next_attempt_at BIGINT,
    attempt_count BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT,
    claimed_by TEXT,                 -- the claiming node's HOOKLINE_NODE_ID, when it has one
    manual BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (msg_id, endpoint_id)
);
CREATE INDEX delivery_due ON delivery(next_attempt_at) WHERE status = 1;
CREATE INDEX delivery_leased ON delivery(lease_until) WHERE status = 3;
CREATE INDEX delivery_endpoint ON delivery(endpoint_id, msg_id);

CREATE TABLE attempt (
    id TEXT COLLATE "C" PRIMARY KEY,
    msg_id TEXT COLLATE "C" NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    status BIGINT NOT NULL,
    response_status_code BIGINT NOT NULL,
    response TEXT NOT NULL,
    response_duration_ms BIGINT NOT NULL,
    trigger_type BIGINT NOT NULL,
    failure_reason TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX attempt_msg ON attempt(msg_id, id);
CREATE INDEX attempt_endpoint ON attempt(endpoint_id, id);

CREATE TABLE token (
    id TEXT COLLATE "C" PRIMARY KEY,
    hash TEXT COLLATE "C" NOT NULL UNIQUE,
    app_id TEXT COLLATE "C" REFERENCES application(id) ON DELETE CASCADE,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE idempotency (
    key TEXT COLLATE "C" PRIMARY KEY,
    status BIGINT,                  -- NULL while the first request runs
    body BYTEA,
    created_at BIGINT NOT NULL
);

CREATE TABLE meta (
    name TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);
