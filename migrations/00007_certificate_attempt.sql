-- +goose Up
-- The self-check attempt that issued a certificate (NULL when a lesson completed the module or
-- the programme), so the attempt's page finds "its" certificates without comparing timestamps.
ALTER TABLE certificates ADD COLUMN attempt_id INTEGER REFERENCES check_attempts(id) ON DELETE SET NULL;
