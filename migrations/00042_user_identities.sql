-- +goose Up
-- Accounts linked to an OpenID Connect provider (package account): the provider's issuer and its
-- subject identifier of the person. A link is made only through an e-mail address the provider
-- has verified, or when an SSO applicant registers.
CREATE TABLE user_identities (
    issuer       TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    linked_at    INTEGER NOT NULL,
    last_used_at INTEGER,
    PRIMARY KEY (issuer, subject)
) STRICT;
CREATE UNIQUE INDEX user_identities_user ON user_identities (user_id, issuer);
