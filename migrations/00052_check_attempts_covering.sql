-- +goose Up
-- A covering index for a learner's attempts as the pages read them (score, time, result), in the
-- order taken (time, then id): read from the index alone, no sorting. From the table, each row
-- meant reading past the stored answers and paper (JSON, often in overflow pages), which made a
-- learner with many attempts slow on every page. It starts with the columns of the index it
-- replaces.
CREATE INDEX check_attempts_summary ON check_attempts (user_id, module_id, submitted_at, id, score, passed);
DROP INDEX check_attempts_user_module;

-- +goose Down
CREATE INDEX check_attempts_user_module ON check_attempts (user_id, module_id);
DROP INDEX check_attempts_summary;
