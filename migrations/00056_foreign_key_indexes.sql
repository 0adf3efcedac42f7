-- +goose Up
-- Deleting a referenced row makes SQLite find the rows that reference it: without an index on
-- the referencing column, a scan of the whole table per deleted row, in the deleting transaction.
-- Erasing a learner deletes their attempts, and certificates.attempt_id (ON DELETE SET NULL) was
-- scanned once per attempt; purging applicants deletes users, and users.decided_by was scanned
-- once per user. TestForeignKeysLeadAnIndex keeps every foreign key indexed (or names why not).
CREATE INDEX certificates_attempt ON certificates (attempt_id);
CREATE INDEX users_decided_by ON users (decided_by);

-- +goose Down
DROP INDEX users_decided_by;
DROP INDEX certificates_attempt;
