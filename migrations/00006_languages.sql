-- +goose Up
-- Languages are the message catalogs' (package i18n), not a list in the schema: adding a language
-- must not need a migration. users.lang loses its CHECK (the column is rebuilt, which SQLite allows
-- because the CHECK is the column's own), and the declaration's texts move from one column per
-- language to one row per language.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'de';
UPDATE users SET language = lang;
ALTER TABLE users DROP COLUMN lang;
ALTER TABLE users RENAME COLUMN language TO lang;

CREATE TABLE declaration_texts (
    version INTEGER NOT NULL REFERENCES declarations(version),
    lang    TEXT    NOT NULL,
    text    TEXT    NOT NULL,
    PRIMARY KEY (version, lang)
) STRICT;
INSERT INTO declaration_texts (version, lang, text) SELECT version, 'de', text_de FROM declarations;
INSERT INTO declaration_texts (version, lang, text) SELECT version, 'en', text_en FROM declarations;
ALTER TABLE declarations DROP COLUMN text_de;
ALTER TABLE declarations DROP COLUMN text_en;
