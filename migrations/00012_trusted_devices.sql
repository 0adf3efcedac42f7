-- +goose Up
-- Browsers that have signed in successfully (OWASP "device cookies"): a remembered browser keeps
-- signing in with the right password while the account is throttled for everyone else, so a few
-- wrong guesses an hour cannot lock the owner out. Only the SHA-256 of the cookie's token is kept.
CREATE TABLE trusted_devices (
    hash         BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) STRICT;
CREATE INDEX trusted_devices_user ON trusted_devices (user_id);

-- A failed attempt made with a remembered browser counts against that browser; login_failures.email
-- now holds a keyed hash of the address typed (never the text itself, which may be a password).
ALTER TABLE login_failures ADD COLUMN device BLOB;
CREATE INDEX login_failures_device ON login_failures (device, at) WHERE device IS NOT NULL;
DELETE FROM login_failures;
