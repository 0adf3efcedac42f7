-- +goose Up
-- Erasing a learner voids each of their statements that is not voided yet, and "not voided yet"
-- asks for a voiding statement that names it (voids = its id). Without an index on voids that was
-- a scan of every statement of the platform for each statement of the learner, inside the
-- erasure's write transaction: with a million statements, minutes of a held write lock. Only
-- voiding statements carry voids, so the index holds only them (a partial index): the learners'
-- own statements, written with every completion and attempt, do not write to it.
CREATE INDEX xapi_statements_voids ON xapi_statements (voids) WHERE voids IS NOT NULL;

-- +goose Down
DROP INDEX xapi_statements_voids;
