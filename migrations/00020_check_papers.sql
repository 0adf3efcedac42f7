-- +goose Up
-- Honest self-checks (issue 9). An attempt shows a paper: the questions drawn from the module's
-- pool (check.yaml `draw`), in a new order, each with its choices in a new order. The paper is
-- stored with the attempt so that grading, the score and every later review use exactly the
-- questions shown, in the order shown. NULL: an attempt from before papers, which showed every
-- question of the pool in content order.
ALTER TABLE check_attempts ADD COLUMN shown TEXT; -- JSON: [{"q": question id, "c": [choice ids]}, …]

-- A self-check being filled in: the answers given so far, kept on the server whenever a
-- submission comes back incomplete or arrives after the session expired, so that nothing a
-- learner ticked is lost. One per learner and module; deleted when an attempt is graded.
CREATE TABLE check_drafts (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    module_id TEXT    NOT NULL,
    answers   TEXT    NOT NULL, -- JSON: question id → ticked choice ids
    saved_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, module_id)
) STRICT;
