-- The inbound gateway (issue #13): sources that receive providers' webhooks at
-- /in/{source}, and the requests they received. De-duplication needs no table of its own:
-- a forwarded message carries the provider's event id as its `event_id`, unique per
-- application, so two deliveries of one event cannot both commit.

-- A forwarded message keeps the provider's body byte for byte; `forward` holds its content
-- type and the provider's headers (JSON), NULL for messages sent through the API.
ALTER TABLE message ADD COLUMN forward TEXT;

CREATE TABLE source (
    id TEXT COLLATE "C" PRIMARY KEY,
    uid TEXT COLLATE "C" UNIQUE,
    name TEXT NOT NULL,
    scheme TEXT NOT NULL,              -- a hookline-sig preset, or `custom`
    scheme_definition TEXT,            -- the custom scheme (JSON), for `custom`
    secrets BYTEA NOT NULL,             -- sealed JSON array of {key, expiresAt}
    handshake TEXT,                    -- slack, zoom, meta, twitter, graph
    verify_token BYTEA,                 -- sealed (Meta's hub.verify_token)
    tolerance_secs BIGINT,
    dedupe_window_secs BIGINT NOT NULL,
    app_id TEXT COLLATE "C" NOT NULL REFERENCES application(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every request received, with what was decided, until `expires_at` (soon for a rejected
-- one: they are attacker-controlled; with the message's payload for the others).
CREATE TABLE source_request (
    id TEXT COLLATE "C" PRIMARY KEY,
    source_id TEXT COLLATE "C" NOT NULL REFERENCES source(id) ON DELETE CASCADE,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL,              -- accepted, duplicate, rejected
    reason TEXT,
    event_id TEXT COLLATE "C",
    event_type TEXT,
    msg_id TEXT COLLATE "C",
    url TEXT NOT NULL,
    headers TEXT NOT NULL,             -- JSON array of [name, value]
    body BYTEA,
    expires_at BIGINT NOT NULL
);
CREATE INDEX source_request_source ON source_request(source_id, id);
CREATE INDEX source_request_expiry ON source_request(expires_at);
