-- Secrets that every instance of one installation shares, made once by whichever instance
-- starts first (the key that signs the anonymous forms' CSRF tokens).
CREATE TABLE server_secrets (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
