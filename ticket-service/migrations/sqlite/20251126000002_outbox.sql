-- The mail outbox: every message the service sends is first a row here, written in the
-- same transaction as the change that causes it, and delivered by a job with retries.
-- message_id is fixed when the row is written, so a message sent again after a crash
-- between sending and marking carries the same Message-ID and clients show it once.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    recipient_name  TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    in_reply_to     TEXT,
    refs            TEXT,
    created_at      INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    sent_at         INTEGER,
    CONSTRAINT outbox_message_id_key UNIQUE (message_id)
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
