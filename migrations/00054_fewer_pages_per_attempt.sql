-- +goose Up
-- Every self-check attempt is one commit that waits for the disk, and what a commit costs grows
-- with the pages it writes (about 35 µs per 4 KiB page on top of the flush itself, measured on the
-- 2-core machine of docs/performance.md). Two things that every attempt wrote and nothing needs:
--
-- check_attempts_module (module_id, user_id) was made for reports by module; every query of the
-- attempts names the learners (user_id first: check_attempts_summary serves them), so the index
-- was only written, one random page per attempt.
DROP INDEX check_attempts_module;

-- learner_module_progress kept each learner's best score and number of attempts per module
-- beside the module's percent, for the trainer's matrix sorted by a module. check_stats (00053)
-- holds the same two figures, kept by triggers; the matrix reads them there. What stays is the
-- percent, which an attempt changes only when it completes the module: a failed or repeated
-- attempt no longer writes this table at all.
ALTER TABLE learner_module_progress DROP COLUMN best;
ALTER TABLE learner_module_progress DROP COLUMN attempts;

-- +goose Down
ALTER TABLE learner_module_progress ADD COLUMN best INTEGER NOT NULL DEFAULT 0;
ALTER TABLE learner_module_progress ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
UPDATE learner_module_progress SET
    best = coalesce((SELECT best FROM check_stats s WHERE s.user_id = learner_module_progress.user_id
        AND s.module_id = learner_module_progress.module_id), 0),
    attempts = coalesce((SELECT attempts FROM check_stats s WHERE s.user_id = learner_module_progress.user_id
        AND s.module_id = learner_module_progress.module_id), 0);
CREATE INDEX check_attempts_module ON check_attempts (module_id, user_id);
