-- Tickets, their threads of articles, attachments, history and numbering.
-- Types and queues are ids from the configuration ([tickets] ticket_types, queues), kept
-- as numbers so a renamed label renames every ticket's; dynamic fields are a JSON object.

-- The day's counter of ticket numbers (YYYYMMDD in the system time zone). Incremented in
-- the same transaction as the ticket it numbers, so concurrent creations are serialised
-- on the day's row and a rolled-back creation leaves no gap.
CREATE TABLE ticket_counters (
    day  TEXT    PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE tickets (
    id               INTEGER PRIMARY KEY,
    number           TEXT    NOT NULL,
    company_id       INTEGER NOT NULL REFERENCES companies (id),
    customer_id      INTEGER NOT NULL REFERENCES users (id),
    type_id          INTEGER NOT NULL,
    queue_id         INTEGER NOT NULL,
    subject          TEXT    NOT NULL,
    priority         INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
    state            TEXT    NOT NULL CHECK (state IN ('new', 'in_progress', 'awaiting_customer', 'pending_close', 'closed')),
    owner_id         INTEGER REFERENCES users (id),
    dynamic_fields   TEXT    NOT NULL DEFAULT '{}',
    refers_to        INTEGER REFERENCES tickets (id),
    created_at       INTEGER NOT NULL,
    changed_at       INTEGER NOT NULL,
    state_changed_at INTEGER NOT NULL,
    CONSTRAINT tickets_number_key UNIQUE (number)
);
-- The customer list (a company's tickets by last change), the agents' lists (by queue,
-- by state), the timed state changes (by state and when it was set).
CREATE INDEX tickets_company_idx ON tickets (company_id, changed_at);
CREATE INDEX tickets_queue_idx ON tickets (queue_id, state, changed_at);
CREATE INDEX tickets_state_idx ON tickets (state, state_changed_at);
CREATE INDEX tickets_changed_idx ON tickets (changed_at);
CREATE INDEX tickets_refers_idx ON tickets (refers_to);

-- The thread. internal = 1 is an agents' note: never shown to a customer.
CREATE TABLE ticket_articles (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    sender     TEXT    NOT NULL CHECK (sender IN ('customer', 'agent', 'system')),
    author_id  INTEGER REFERENCES users (id),
    internal   INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ticket_articles_ticket_idx ON ticket_articles (ticket_id, id);

-- Files, in the database so every instance serves them. A file held for a form that was
-- sent back with an error has no article yet: draft_token names the form (and user_id its
-- owner) until the form goes through, or the cleanup job deletes it a day later. data is
-- the last column, so listings that do not select it do not read it.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
    article_id   INTEGER REFERENCES ticket_articles (id) ON DELETE CASCADE,
    draft_token  TEXT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    file_name    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    data         BLOB NOT NULL,
    CONSTRAINT attachments_owner_check CHECK ((article_id IS NULL) = (draft_token IS NOT NULL))
);
CREATE INDEX attachments_article_idx ON attachments (article_id);
CREATE INDEX attachments_draft_idx ON attachments (draft_token);

-- Who changed what, when: state (from → to), queue, type, priority, owner, links.
CREATE TABLE ticket_history (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    actor_id  INTEGER REFERENCES users (id),
    field     TEXT    NOT NULL,
    old_value TEXT,
    new_value TEXT,
    at        INTEGER NOT NULL
);
CREATE INDEX ticket_history_ticket_idx ON ticket_history (ticket_id, id);
