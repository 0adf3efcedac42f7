-- +goose Up
-- Reminder e-mails sent to learners of a cohort (package remind owns it): at most one a week per
-- learner, whoever triggered it (a trainer's button or the daily job). Rows are kept 180 days.
CREATE TABLE reminders (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    cohort_id INTEGER REFERENCES cohorts(id) ON DELETE SET NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('manual', 'due', 'inactive')),
    sent_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX reminders_user ON reminders (user_id, sent_at);
