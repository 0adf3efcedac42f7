-- +goose Up
-- Learning records as stored xAPI statements (package xapi). Each statement is written once, in the
-- transaction of the learning event it records, and never changed: its body is what the LRS gets and
-- what the export lists. The send state makes the table the persistent queue towards an LRS.
CREATE TABLE xapi_statements (
    seq             INTEGER PRIMARY KEY,          -- creation order: sending and exports follow it
    id              TEXT    NOT NULL UNIQUE,      -- the statement id (UUID)
    user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL, -- whose record, for voiding on erasure
    voids           TEXT,                         -- for a voiding statement: the id it voids
    body            TEXT    NOT NULL,             -- the statement as JSON, fixed at the event
    created_at      INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',  -- the LRS's last answer (or the network error)
    sent_at         INTEGER
) STRICT;
CREATE INDEX xapi_statements_due ON xapi_statements (state, next_attempt_at, seq);
CREATE INDEX xapi_statements_user ON xapi_statements (user_id);
