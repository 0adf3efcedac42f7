-- +goose Up
-- Settings the platform keeps about itself (for example the instance id used in xAPI statements).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
