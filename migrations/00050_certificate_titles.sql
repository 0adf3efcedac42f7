-- +goose Up
-- What a certificate certifies, as it was when it was issued: the module's title per language
-- (JSON object, language → title). A module removed from the content later still has its title
-- on the certificate, its verification page and its PDF. Certificates issued before this column
-- existed get their titles from the content at the next start (learning.BackfillTitles).
ALTER TABLE certificates ADD COLUMN titles TEXT NOT NULL DEFAULT '{}';
