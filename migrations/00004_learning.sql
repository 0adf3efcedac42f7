-- +goose Up
-- Learning progress. Everything is keyed by the stable module and lesson ids of the content
-- (modules/FORMAT.md), not by row ids of content, so editing a lesson keeps progress; rows whose
-- ids no longer exist in the content are ignored by the counts. Times are INTEGER unix seconds (UTC).

-- One row per lesson a learner marked as done; the primary key makes completing idempotent.
CREATE TABLE lesson_completions (
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    module_id    TEXT    NOT NULL,
    lesson_id    TEXT    NOT NULL,
    completed_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, module_id, lesson_id)
) STRICT;

-- The lesson a learner last opened in each module, for "continue where you left off".
CREATE TABLE lesson_visits (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    module_id  TEXT    NOT NULL,
    lesson_id  TEXT    NOT NULL,
    visited_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, module_id)
) STRICT;

-- Every submitted self-check; attempts are unlimited and all are kept (best score, history).
CREATE TABLE check_attempts (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    module_id    TEXT    NOT NULL,
    score        INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100), -- percent of questions right
    passed       INTEGER NOT NULL CHECK (passed IN (0, 1)),
    answers      TEXT    NOT NULL,                                -- JSON: question id → chosen choice ids
    submitted_at INTEGER NOT NULL
) STRICT;
CREATE INDEX check_attempts_user_module ON check_attempts (user_id, module_id);

-- Certificates, one per learner and module; module_id '*' is the whole programme. The holder's
-- name is not copied here: the public verification page reads the current name, so erasing a user
-- also takes their name off their certificates.
CREATE TABLE certificates (
    id        INTEGER PRIMARY KEY,
    code      TEXT    NOT NULL UNIQUE,   -- XXXX-XXXX-XXXX, Crockford base32, stored upper-case
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    module_id TEXT    NOT NULL,
    issued_at INTEGER NOT NULL,
    UNIQUE (user_id, module_id)
) STRICT;
