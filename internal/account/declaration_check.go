package account

import (
	"context"
	"fmt"

	"saferspaces/internal/sqlite"
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

// SignedInUser is the user of a session with what every request behind the gate asks about them:
// whether a newer declaration version is in force than the newest they accepted. One query, for
// the middleware that runs on every signed-in request.
func (s *Service) SignedInUser(ctx context.Context, userID int64) (*User, bool, error) {
	var needs bool
	u, err := scanUser(withExtra{s.db.R.QueryRowContext(ctx, "SELECT "+userColumns+`,
		coalesce((SELECT max(version) FROM declarations), 0) >
		coalesce((SELECT max(version) FROM declaration_acceptances WHERE user_id = u.id), 0)`+userFrom+" WHERE u.id = ?", userID),
		[]any{&needs}})
	if err != nil {
		return nil, false, sqlite.NotFound(err, "user")
	}
	return u, needs, nil
}
