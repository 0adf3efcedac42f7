-- +goose Up
-- The second factor of an account (TOTP, RFC 6238) and its one-time recovery codes (package account).
-- Times are INTEGER unix seconds (UTC).

-- One authenticator per account. The secret is sealed (AES-256-GCM) with the key in DATA/secrets.key,
-- so a copy of the database alone does not let anyone compute codes.
CREATE TABLE second_factors (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret       BLOB    NOT NULL,           -- nonce ‖ sealed base32 secret, bound to user_id
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,                    -- NULL while the enrolment waits for its first code
    last_step    INTEGER NOT NULL DEFAULT 0  -- newest 30-second step whose code was used: no code of it or before is taken again
) STRICT;

-- Ten single-use codes for a lost phone; only an HMAC-SHA-256 of each (keyed with DATA/secrets.key) is kept.
CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash    BLOB    NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, hash)
) STRICT;
