package learning

import (
	"context"
	"fmt"
	"time"
)

// ActiveLearners counts the people who did something in their training since t: opened a lesson,
// marked one as done or submitted a self-check. Signing in alone is not learning.
func (s *Service) ActiveLearners(ctx context.Context, since time.Time) (int, error) {
	var n int
	t := since.Unix()
	err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM (
			SELECT user_id FROM lesson_visits WHERE visited_at >= ?1
			UNION SELECT user_id FROM lesson_completions WHERE completed_at >= ?1
			UNION SELECT user_id FROM check_attempts WHERE submitted_at >= ?1)`, t).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("active learners: %w", err)
	}
	return n, nil
}

// CompletionsSince counts the certificates issued since t: completed modules, and completed
// programmes.
func (s *Service) CompletionsSince(ctx context.Context, since time.Time) (modules, programmes int, err error) {
	err = s.db.R.QueryRowContext(ctx, `SELECT coalesce(sum(module_id <> ?1), 0), coalesce(sum(module_id = ?1), 0)
		FROM certificates WHERE issued_at >= ?2`, ProgrammeID, since.Unix()).Scan(&modules, &programmes)
	if err != nil {
		return 0, 0, fmt.Errorf("completions: %w", err)
	}
	return modules, programmes, nil
}
