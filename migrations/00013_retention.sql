-- +goose Up
-- Retention (saferspaces purge): when an inactive account was warned that it will be anonymised;
-- a sign-in after the warning starts the count again.
ALTER TABLE users ADD COLUMN inactivity_warned_at INTEGER;

-- The learning progress of anonymised and erased accounts, kept only as anonymous totals per
-- module for the trainers' statistics; the per-person rows are deleted.
CREATE TABLE learning_archive (
    module_id         TEXT    PRIMARY KEY,
    learners          INTEGER NOT NULL DEFAULT 0, -- people with any progress in the module
    lessons_completed INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0, -- self-check attempts
    passed            INTEGER NOT NULL DEFAULT 0, -- people who passed the self-check
    certificates      INTEGER NOT NULL DEFAULT 0
) STRICT;
