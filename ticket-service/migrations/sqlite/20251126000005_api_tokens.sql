-- Personal API tokens for /api/v1 (`Authorization: Bearer …`). Only the hex SHA-256 of a
-- token is stored; the token itself is shown once, when it is made. A user holds at most
-- 20 tokens: each takes one of the slots 1..20, and the unique (user, slot) pair makes the
-- limit hold under concurrent creation. Revoking deletes the row.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    slot         INTEGER NOT NULL CHECK (slot BETWEEN 1 AND 20),
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash),
    CONSTRAINT api_tokens_slot_key UNIQUE (user_id, slot)
);
