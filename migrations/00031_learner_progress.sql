-- +goose Up
-- One row per learner summarising their progress by the progress rule (package learning owns it
-- and keeps it in the transaction of every completion, attempt and visit), so that a trainer's
-- page over 10,000 learners sorts, pages and sums without reading every record. "catalog" is the
-- fingerprint of the content the row was computed against; rows of another fingerprint are
-- recomputed when the content changes (learning.RefreshSummaries at start-up).
CREATE TABLE learner_progress (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    units_done       INTEGER NOT NULL,
    units_total      INTEGER NOT NULL,
    percent          INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    modules_done     INTEGER NOT NULL,
    complete         INTEGER NOT NULL CHECK (complete IN (0, 1)),
    attempts         INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL DEFAULT 0,
    catalog          TEXT    NOT NULL
) STRICT;
CREATE INDEX check_attempts_module ON check_attempts (module_id, user_id);
