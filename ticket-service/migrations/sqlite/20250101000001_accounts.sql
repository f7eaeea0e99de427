-- Accounts, sessions, password resets and login throttling (SQLite).
-- Timestamps are unix seconds; dates are ISO text (YYYY-MM-DD).

CREATE TABLE companies (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    contract_start TEXT    NOT NULL,
    contract_end   TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    CONSTRAINT companies_name_key UNIQUE (name),
    CONSTRAINT companies_contract_check CHECK (contract_start <= contract_end)
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('customer', 'agent')),
    company_id      INTEGER REFERENCES companies (id),
    email           TEXT    NOT NULL,
    display_name    TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,
    language        TEXT    NOT NULL DEFAULT 'ja' CHECK (language IN ('ja', 'en')),
    time_zone       TEXT    NOT NULL DEFAULT 'Asia/Tokyo',
    refresh_minutes INTEGER NOT NULL DEFAULT 0,
    page_size       INTEGER NOT NULL DEFAULT 25,
    created_at      INTEGER NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_company_check CHECK ((kind = 'customer') = (company_id IS NOT NULL))
);
CREATE INDEX users_company_idx ON users (company_id);

-- id_hash is the hex SHA-256 of the cookie value; user_id NULL is an anonymous
-- pre-session that only carries the CSRF token of the login/forgot/reset forms.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE password_resets (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- One row per failed login; throttle_key is 'account:<email>' or 'address:<ip>'.
CREATE TABLE login_failures (
    id           INTEGER PRIMARY KEY,
    throttle_key TEXT    NOT NULL,
    failed_at    INTEGER NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (throttle_key, failed_at);
