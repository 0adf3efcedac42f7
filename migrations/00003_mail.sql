-- +goose Up
-- The mail outbox: every e-mail is written here inside the transaction of the event that causes it
-- (a registration, an approval, ...) and delivered later by a worker, so an SMTP outage delays mail
-- but never loses it or rolls back the event. Times are INTEGER unix seconds (UTC).
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    to_addr         TEXT    NOT NULL,
    to_name         TEXT    NOT NULL DEFAULT '',
    lang            TEXT    NOT NULL DEFAULT 'de',
    kind            TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    -- Emptied once the mail is sent: bodies carry single-use tokens that should not outlive delivery.
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT    NOT NULL DEFAULT '',
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
) STRICT;

-- The worker asks "which pending mails are due?" every few seconds.
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
