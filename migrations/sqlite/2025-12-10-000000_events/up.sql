-- The event log: one row per change a reader could see, appended in the
-- change's own transaction. `seq` is given under the catalogue's lock that
-- every write holds until it commits (SQLite has one writer at a time), so
-- it grows in commit order; AUTOINCREMENT never gives a number twice, even
-- once older rows are pruned.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    type TEXT NOT NULL,
    resource TEXT NOT NULL,
    resource_id INTEGER NOT NULL,
    slug TEXT NOT NULL,
    language TEXT,
    version INTEGER,
    -- JSON arrays: the category ids it is filed under directly, after and
    -- before the change, and the fields the change changed.
    categories TEXT NOT NULL DEFAULT '[]',
    categories_before TEXT NOT NULL DEFAULT '[]',
    language_before TEXT,
    changed TEXT NOT NULL DEFAULT '[]',
    -- Whether a reader without a token could see it before and after, and
    -- whether it exists after (not deleted, not in the trash).
    public_before BOOLEAN NOT NULL,
    public_after BOOLEAN NOT NULL,
    exists_before BOOLEAN NOT NULL,
    exists_after BOOLEAN NOT NULL
);
CREATE INDEX events_of_resource ON events (resource, resource_id, seq);
CREATE INDEX events_by_time ON events (occurred_at);

-- Where the log stands: the last sequence number pruned (a cursor before
-- it is expired) and the last one fanned out to webhook deliveries.
CREATE TABLE event_log (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through BIGINT NOT NULL DEFAULT 0,
    fanned_through BIGINT NOT NULL DEFAULT 0
);
INSERT INTO event_log (id, pruned_through, fanned_through) VALUES (1, 0, 0);

-- Endpoints that receive the events, signed (Standard Webhooks).
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- A JSON array of event types, or ["*"].
    events TEXT NOT NULL DEFAULT '["*"]',
    include_drafts BOOLEAN NOT NULL DEFAULT false,
    enabled BOOLEAN NOT NULL DEFAULT true,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    -- Events after this sequence number are delivered to it.
    after_seq BIGINT NOT NULL,
    failing_since TIMESTAMP,
    disabled_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

-- One message to one endpoint, with its attempts: delivery state lives
-- here, so retries outlive the process that made the first attempt.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_seq BIGINT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_status INTEGER,
    last_response TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_of ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (created_at);
