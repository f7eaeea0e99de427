-- FAQ usage that the static site cannot record itself: article views (counted once per
-- visitor and article within ten minutes), 1-5 star votes (one per user and article), and
-- the saved searches of logged-in users.

CREATE TABLE faq_views (
    article_id INTEGER PRIMARY KEY,
    views      INTEGER NOT NULL
);

-- One row per (visitor, article) seen in the last ten minutes: mark is a hash of the
-- client address, its User-Agent and the article, so no cookie is needed.
CREATE TABLE faq_view_marks (
    mark TEXT    PRIMARY KEY,
    at   INTEGER NOT NULL
);
CREATE INDEX faq_view_marks_at_idx ON faq_view_marks (at);

CREATE TABLE faq_votes (
    article_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stars      INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    at         INTEGER NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    edition    TEXT    NOT NULL CHECK (edition IN ('customer', 'internal')),
    name       TEXT    NOT NULL,
    query      TEXT    NOT NULL,
    category   TEXT    NOT NULL DEFAULT '',
    language   TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    CONSTRAINT saved_searches_name_key UNIQUE (user_id, edition, name)
);
