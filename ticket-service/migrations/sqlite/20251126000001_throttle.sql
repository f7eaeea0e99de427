-- Rate-limit counters replace the per-failure rows: one row per key (an account, a client
-- address, a reset target) with the start of its window and the attempts counted in it.
-- A counter row can be reserved atomically in one upsert (see store/throttle.rs), which
-- rows per failure could not: concurrent requests each saw the count before the others
-- wrote theirs.
DROP TABLE login_failures;

CREATE TABLE throttle (
    throttle_key TEXT    PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL
);
CREATE INDEX throttle_window_idx ON throttle (window_start);
