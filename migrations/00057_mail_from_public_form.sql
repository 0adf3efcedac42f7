-- +goose Up
-- The hourly cap on mail (--mail-hourly-cap) is meant for the mail that anyone can cause through
-- the public forms (registration, password reset, a new activation link, accessibility feedback,
-- a first sign-in through the identity provider). It counted every mail of the hour, so an admin
-- approving a batch of applicants or a trainer writing to a large cohort made the public forms,
-- password reset included, answer 429 for an hour. Each mail now says whether a public form
-- caused it; only those count, and only the last hour's of them are looked at.
ALTER TABLE mail_outbox ADD COLUMN from_public_form INTEGER NOT NULL DEFAULT 0 CHECK (from_public_form IN (0, 1));
CREATE INDEX mail_outbox_public ON mail_outbox (created_at) WHERE from_public_form = 1;

-- +goose Down
DROP INDEX mail_outbox_public;
ALTER TABLE mail_outbox DROP COLUMN from_public_form;
