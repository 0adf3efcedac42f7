-- +goose Up
-- Each learner's figures per module (package learning keeps them with learner_progress, in the
-- same transactions), so that the trainer's matrix sorts by a module's column in SQL.
CREATE TABLE learner_module_progress (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    module_id TEXT    NOT NULL,
    percent   INTEGER NOT NULL,
    best      INTEGER NOT NULL,
    attempts  INTEGER NOT NULL,
    PRIMARY KEY (user_id, module_id)
) STRICT;
