-- +goose Up
-- The gate: people, their declarations, credentials, sessions and the audit trail.
-- Times are INTEGER unix seconds (UTC) throughout the schema.

CREATE TABLE cohorts (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    code       TEXT    UNIQUE COLLATE NOCASE,          -- optional join code for the declaration form
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    organisation   TEXT    NOT NULL DEFAULT '',
    position       TEXT    NOT NULL DEFAULT '',
    lang           TEXT    NOT NULL DEFAULT 'de' CHECK (lang IN ('de', 'en')),
    role           TEXT    NOT NULL DEFAULT 'learner' CHECK (role IN ('learner', 'trainer', 'admin')),
    -- pending: declared, waiting for an admin; approved: may activate and sign in;
    -- rejected: refused with a reason; disabled: switched off by an admin; erased: personal data removed.
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'disabled', 'erased')),
    password_hash  TEXT    NOT NULL DEFAULT '',          -- argon2id PHC string; empty until activation
    requested_cohort TEXT  NOT NULL DEFAULT '',          -- cohort_code as given on the declaration form
    reject_reason  TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    decided_at     INTEGER,
    decided_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    activated_at   INTEGER,
    last_login_at  INTEGER
) STRICT;
CREATE INDEX users_status ON users (status, created_at);

-- A learner belongs to at most one cohort; trainers lead cohorts through cohort_trainers.
CREATE TABLE cohort_members (
    cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (cohort_id, user_id)
) STRICT;

CREATE TABLE cohort_trainers (
    cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (cohort_id, user_id)
) STRICT;

-- Versioned usage-rights declaration texts; the highest published version is in force.
CREATE TABLE declarations (
    version      INTEGER PRIMARY KEY,
    text_de      TEXT    NOT NULL,
    text_en      TEXT    NOT NULL,
    published_at INTEGER NOT NULL,
    published_by INTEGER REFERENCES users(id) ON DELETE SET NULL
) STRICT;

CREATE TABLE declaration_acceptances (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL REFERENCES declarations(version),
    accepted_at INTEGER NOT NULL,
    ip          TEXT    NOT NULL,
    user_agent  TEXT    NOT NULL
) STRICT;
CREATE INDEX declaration_acceptances_user ON declaration_acceptances (user_id, version);

-- Single-use activation and reset tokens; only the SHA-256 of the token is stored.
CREATE TABLE tokens (
    hash       BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('activation', 'reset')),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_user ON tokens (user_id, purpose);

-- Server-side sessions: the cookie carries only the id (random, 256 bits), stored here hashed.
CREATE TABLE sessions (
    id_hash     BLOB    PRIMARY KEY,
    user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE,
    data        BLOB    NOT NULL DEFAULT x'',
    created_at  INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-in attempts, for throttling per account and per IP.
CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    email   TEXT    NOT NULL COLLATE NOCASE,
    ip      TEXT    NOT NULL,
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

-- Every security and admin event. actor/target keep a pseudonymous id after erasure; no
-- password or token is ever written here.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_id   INTEGER,
    actor      TEXT    NOT NULL DEFAULT '',   -- e-mail at the time, replaced by "user #ID" on erasure
    action     TEXT    NOT NULL,
    target_id  INTEGER,
    target     TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT '',
    ip         TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id);
CREATE INDEX audit_log_target ON audit_log (target_id);
