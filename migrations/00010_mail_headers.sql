-- +goose Up
-- Each e-mail keeps one Message-ID for all its delivery attempts (RFC 5322: a retry is the same
-- message): the random part is made when the mail is queued; the sender adds outbox id and domain.
ALTER TABLE mail_outbox ADD COLUMN message_key TEXT NOT NULL DEFAULT '';
-- Purge by age reads sent and failed mail by creation time.
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
