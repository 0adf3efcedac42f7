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

// SignedIn is what every request behind the gate needs to know about its user: who they are, whether
// they may still sign in, and whether a newer declaration version is in force than the newest they
// accepted. Service.Session reads it with the session, because every signed-in request needs it.
type SignedIn struct {
	ID              int64
	Name, Email     string
	Role            Role
	Status          Status
	Lang            string
	NeedsAcceptance bool
	activated       bool // a password set or an activation done
}

// Active reports whether the user may use the platform (the rule of User.Active).
func (u *SignedIn) Active() bool { return u.Status == StatusApproved && u.activated }

// signedInColumns are a SignedIn's columns of the user u; signedInDest scans them.
const signedInColumns = `u.id, u.name, u.email, u.role, u.status, u.lang, u.password_hash != '' OR coalesce(u.activated_at, 0) != 0,
	coalesce((SELECT max(version) FROM declarations), 0) >
		coalesce((SELECT max(version) FROM declaration_acceptances WHERE user_id = u.id), 0)`

func signedInDest(u *SignedIn) []any {
	return []any{&u.ID, &u.Name, &u.Email, &u.Role, &u.Status, &u.Lang, &u.activated, &u.NeedsAcceptance}
}

// SignedInUser reads the SignedIn of a user whose session was not read from the database (one
// made in this request). A missing user is errs.NotFound.
func (s *Service) SignedInUser(ctx context.Context, userID int64) (*SignedIn, error) {
	var u SignedIn
	err := s.db.R.QueryRowContext(ctx, "SELECT "+signedInColumns+" FROM users u WHERE u.id = ?", userID).Scan(signedInDest(&u)...)
	if err != nil {
		return nil, sqlite.NotFound(err, "user")
	}
	return &u, nil
}
