-- +goose Up
-- What lists of people sort and search by, kept by package account (EnsureSortKeys) from the name,
-- organisation and e-mail: German collation keys (golang.org/x/text/collate, "Ülrich" before
-- "Zoë"), the case-folded text a search matches ("MÜLLER" finds "Müller") and the folded
-- organisation that team coverage groups by. sort_src is what they were made from; a row whose
-- sort_src differs is brought up to date before the next report reads it. They let a cohort page
-- of 10,000 learners sort, filter and page in SQL.
ALTER TABLE users ADD COLUMN sort_name BLOB;
ALTER TABLE users ADD COLUMN sort_org BLOB;
ALTER TABLE users ADD COLUMN org_fold TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN search TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN sort_src TEXT;
-- New users have no keys yet; a changed name, organisation or address makes them stale, and the
-- old ones are wiped at once (an erased person's name must not linger in a search column). Finding
-- the stale ones is then an index lookup, however many users there are.
-- +goose StatementBegin
CREATE TRIGGER users_sort_stale AFTER UPDATE OF name, organisation, email ON users
BEGIN
    UPDATE users SET sort_src = NULL, sort_name = NULL, sort_org = NULL, org_fold = '', search = '' WHERE id = NEW.id;
END;
-- +goose StatementEnd
CREATE INDEX users_sort_stale ON users (id) WHERE sort_src IS NULL;
