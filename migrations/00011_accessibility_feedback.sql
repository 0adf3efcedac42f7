-- +goose Up
-- Feedback sent through the form of the accessibility statement (BITV 2.0 § 7, § 12b BGG):
-- stored, mailed to the operator's contact, open until an admin marks it done; it is due one
-- month after it came in. The sender's address is optional.
CREATE TABLE accessibility_feedback (
    id         INTEGER PRIMARY KEY,
    message    TEXT    NOT NULL,
    email      TEXT    NOT NULL DEFAULT '',
    lang       TEXT    NOT NULL DEFAULT 'de',
    created_at INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    done_at    INTEGER,
    done_by    INTEGER REFERENCES users(id) ON DELETE SET NULL
) STRICT;
CREATE INDEX accessibility_feedback_open ON accessibility_feedback (done_at, due_at);
