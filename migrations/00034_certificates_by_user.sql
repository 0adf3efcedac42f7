-- +goose Up
-- A covering index for the cohort page's completions chart (certificates of the members per
-- quarter hour): the counts are read from the index alone, without a lookup per certificate.
CREATE INDEX certificates_user_module_issued ON certificates (user_id, module_id, issued_at);
