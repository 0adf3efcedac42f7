-- +goose Up
-- Every registration mails the approved admins, looked up inside its write transaction. With only
-- the (status, created_at) index that lookup walked every approved user, so registration slowed
-- down as the platform grew (580/s at 1,000 users, 151/s at 10,000). By role first, it reads the
-- few admins and nothing else.
CREATE INDEX users_role_status ON users (role, status);
