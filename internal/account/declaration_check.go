package account

import (
	"context"
	"fmt"
)

// NeedsAcceptance reports whether a newer declaration version is in force than the newest the user
// accepted. It runs on every signed-in request behind the gate, so it is one indexed query.
func (s *Service) NeedsAcceptance(ctx context.Context, userID int64) (bool, error) {
	var needs bool
	err := s.db.R.QueryRowContext(ctx, `SELECT coalesce((SELECT max(version) FROM declarations), 0) >
		coalesce((SELECT max(version) FROM declaration_acceptances WHERE user_id = ?), 0)`, userID).Scan(&needs)
	if err != nil {
		return false, fmt.Errorf("check declaration acceptance: %w", err)
	}
	return needs, nil
}
