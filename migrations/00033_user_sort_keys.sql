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
