-- The inbound gateway (issue #13): sources that receive providers' webhooks at
-- /in/{source}, and the requests they received. De-duplication needs no table of its own:
-- a forwarded message carries the provider's event id as its `event_id`, unique per
-- application, so two deliveries of one event cannot both commit.

-- A forwarded message keeps the provider's body byte for byte; `forward` holds its content
-- type and the provider's headers (JSON), NULL for messages sent through the API.
ALTER TABLE message ADD COLUMN forward TEXT;

CREATE TABLE source (
    id TEXT PRIMARY KEY,
    uid TEXT UNIQUE,
    name TEXT NOT NULL,
    scheme TEXT NOT NULL,              -- a hookline-sig preset, or `custom`
    scheme_definition TEXT,            -- the custom scheme (JSON), for `custom`
    secrets BLOB NOT NULL,             -- sealed JSON array of {key, expiresAt}
    handshake TEXT,                    -- slack, zoom, meta, twitter, graph
    verify_token BLOB,                 -- sealed (Meta's hub.verify_token)
    tolerance_secs INTEGER,
    dedupe_window_secs INTEGER NOT NULL,
    app_id TEXT NOT NULL REFERENCES application(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every request received, with what was decided, until `expires_at` (soon for a rejected
-- one: they are attacker-controlled; with the message's payload for the others).
CREATE TABLE source_request (
    id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES source(id) ON DELETE CASCADE,
    received_at INTEGER NOT NULL,
    status TEXT NOT NULL,              -- accepted, duplicate, rejected
    reason TEXT,
    event_id TEXT,
    event_type TEXT,
    msg_id TEXT,
    url TEXT NOT NULL,
    headers TEXT NOT NULL,             -- JSON array of [name, value]
    body BLOB,
    expires_at INTEGER NOT NULL
);
CREATE INDEX source_request_source ON source_request(source_id, id);
CREATE INDEX source_request_expiry ON source_request(expires_at);
