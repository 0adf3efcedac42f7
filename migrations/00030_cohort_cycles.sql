-- +goose Up
-- Cohorts become training cycles (package account owns these tables): a description, optional
-- start and due dates, archiving (read-only, hidden from default lists) and two per-cohort
-- switches: trainers may approve applicants who gave the cohort's join code, and automatic
-- reminders. Times are INTEGER unix seconds (UTC); NULL is "not set".
ALTER TABLE cohorts ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE cohorts ADD COLUMN starts_at INTEGER;
ALTER TABLE cohorts ADD COLUMN due_at INTEGER;
ALTER TABLE cohorts ADD COLUMN archived_at INTEGER;
ALTER TABLE cohorts ADD COLUMN trainers_approve INTEGER NOT NULL DEFAULT 0 CHECK (trainers_approve IN (0, 1));
ALTER TABLE cohorts ADD COLUMN auto_remind INTEGER NOT NULL DEFAULT 0 CHECK (auto_remind IN (0, 1));

-- A person may now belong to several cohorts (a refresher cycle for the same staff): the table is
-- rebuilt without UNIQUE(user_id), keeping every membership and its date.
CREATE TABLE cohort_members_new (
    cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (cohort_id, user_id)
) STRICT;
INSERT INTO cohort_members_new (cohort_id, user_id, joined_at) SELECT cohort_id, user_id, joined_at FROM cohort_members;
DROP TABLE cohort_members;
ALTER TABLE cohort_members_new RENAME TO cohort_members;
CREATE INDEX cohort_members_user ON cohort_members (user_id);
CREATE INDEX cohort_trainers_user ON cohort_trainers (user_id);

-- E-mail domains whose applicants are approved automatically into a cohort (one cohort per domain).
CREATE TABLE cohort_domains (
    domain    TEXT    PRIMARY KEY COLLATE NOCASE,
    cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE
) STRICT;

-- A learner may switch reminder e-mails off on /account.
ALTER TABLE users ADD COLUMN reminders_off INTEGER NOT NULL DEFAULT 0 CHECK (reminders_off IN (0, 1));

-- Sign-ups per day in name order within a cohort: the trainer's page sorts members by name.
CREATE INDEX users_status_name ON users (status, name);
