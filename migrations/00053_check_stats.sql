-- +goose Up
-- A learner's attempts at a module, summed up: what every learning page and every submission reads
-- (how many, best score, passed, first pass, last attempt). Kept by triggers in the transaction of
-- every attempt written or deleted, so no code path can leave it behind; read instead of summing
-- the attempts, which grew with every retry (a learner who takes a self-check a hundred times is
-- not slower than one who took it once). No foreign key: a user's deletion removes their attempts,
-- and the triggers then remove the sums.
CREATE TABLE check_stats (
    user_id       INTEGER NOT NULL,
    module_id     TEXT    NOT NULL,
    attempts      INTEGER NOT NULL,
    best          INTEGER NOT NULL,
    passed        INTEGER NOT NULL,
    first_pass_at INTEGER NOT NULL, -- 0: never passed
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, module_id)
) STRICT, WITHOUT ROWID;

INSERT INTO check_stats(user_id, module_id, attempts, best, passed, first_pass_at, last_at)
    SELECT user_id, module_id, count(*), max(score), max(passed),
        coalesce(min(CASE WHEN passed = 1 THEN submitted_at END), 0), max(submitted_at)
    FROM check_attempts GROUP BY user_id, module_id;

-- +goose StatementBegin
CREATE TRIGGER check_stats_insert AFTER INSERT ON check_attempts BEGIN
    INSERT INTO check_stats(user_id, module_id, attempts, best, passed, first_pass_at, last_at)
        VALUES (NEW.user_id, NEW.module_id, 1, NEW.score, NEW.passed,
            CASE WHEN NEW.passed = 1 THEN NEW.submitted_at ELSE 0 END, NEW.submitted_at)
    ON CONFLICT (user_id, module_id) DO UPDATE SET
        attempts = attempts + 1,
        best = max(best, excluded.best),
        passed = max(passed, excluded.passed),
        first_pass_at = CASE WHEN excluded.passed = 1 AND (first_pass_at = 0 OR excluded.first_pass_at < first_pass_at)
            THEN excluded.first_pass_at ELSE first_pass_at END,
        last_at = max(last_at, excluded.last_at);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER check_stats_delete AFTER DELETE ON check_attempts BEGIN
    DELETE FROM check_stats WHERE user_id = OLD.user_id AND module_id = OLD.module_id;
    INSERT INTO check_stats(user_id, module_id, attempts, best, passed, first_pass_at, last_at)
        SELECT user_id, module_id, count(*), max(score), max(passed),
            coalesce(min(CASE WHEN passed = 1 THEN submitted_at END), 0), max(submitted_at)
        FROM check_attempts WHERE user_id = OLD.user_id AND module_id = OLD.module_id
        GROUP BY user_id, module_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER check_stats_update AFTER UPDATE OF user_id, module_id, score, passed, submitted_at ON check_attempts BEGIN
    DELETE FROM check_stats WHERE (user_id = OLD.user_id AND module_id = OLD.module_id)
        OR (user_id = NEW.user_id AND module_id = NEW.module_id);
    INSERT INTO check_stats(user_id, module_id, attempts, best, passed, first_pass_at, last_at)
        SELECT user_id, module_id, count(*), max(score), max(passed),
            coalesce(min(CASE WHEN passed = 1 THEN submitted_at END), 0), max(submitted_at)
        FROM check_attempts WHERE (user_id = OLD.user_id AND module_id = OLD.module_id)
            OR (user_id = NEW.user_id AND module_id = NEW.module_id)
        GROUP BY user_id, module_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER check_stats_update;
DROP TRIGGER check_stats_delete;
DROP TRIGGER check_stats_insert;
DROP TABLE check_stats;
