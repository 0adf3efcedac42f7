package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"saferspaces/internal/errs"
	"saferspaces/internal/paths"
)

// Token purposes and how long a token of each stays valid.
const (
	PurposeActivation = "activation"
	PurposeReset      = "reset"

	ActivationTTL = 72 * time.Hour
	ResetTTL      = time.Hour
)

// tokenLen is the length of a token in a link: 32 random bytes, base64url without padding.
const tokenLen = 43

var tokenEncoding = base64.RawURLEncoding.Strict()

// ErrLinkInvalid is the one answer for a token that is malformed, unknown, used, expired, or whose
// account may no longer use it: telling these apart would only help someone guessing.
var ErrLinkInvalid = errs.E(errs.NotFound, "this link is invalid or has expired")

// ParseToken checks the form of a token from a link and returns the SHA-256 under which it is
// stored. Anything but 43 base64url characters is refused before the database is asked; the
// strict decoding refuses a second spelling of the same bytes.
func ParseToken(raw string) ([]byte, error) {
	if len(raw) != tokenLen {
		return nil, ErrLinkInvalid
	}
	b, err := tokenEncoding.DecodeString(raw)
	if err != nil || len(b) != 32 {
		return nil, ErrLinkInvalid
	}
	sum := sha256.Sum256([]byte(raw))
	return sum[:], nil
}

// IssueToken makes a single-use token for the user and purpose, valid for ttl, and voids every
// earlier one of the same purpose (a re-sent link replaces the old one). Only the SHA-256 of the
// token is stored; the raw token is returned for the link and must not be logged.
func (s *Service) IssueToken(ctx context.Context, tx *sql.Tx, userID int64, purpose string, ttl time.Duration) (string, error) {
	if purpose != PurposeActivation && purpose != PurposeReset {
		return "", fmt.Errorf("issue token: unknown purpose %q", purpose)
	}
	raw, hash, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ? AND purpose = ?`, userID, purpose); err != nil {
		return "", fmt.Errorf("void old tokens: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tokens(hash, user_id, purpose, expires_at, created_at) VALUES(?, ?, ?, ?, ?)`,
		hash, userID, purpose, now.Add(ttl).Unix(), now.Unix())
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	return raw, nil
}

// newToken makes a random token (256 bits) and the hash under which it is stored.
func newToken() (raw string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("issue token: %w", err)
	}
	raw = tokenEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(raw))
	return raw, sum[:], nil
}

// tokenLink is the absolute link for a token: /activate/TOKEN or /password/reset/TOKEN.
func (s *Service) tokenLink(purpose, raw string) string {
	if purpose == PurposeReset {
		return s.link(paths.Reset(raw))
	}
	return s.link(paths.Activation(raw))
}

// LookupToken reports whose token raw is, without using it up: for the page that shows the
// password form. It fails with ErrLinkInvalid unless the token is unused, unexpired, of the
// purpose, and its account may use it.
func (s *Service) LookupToken(ctx context.Context, raw, purpose string) (*User, error) {
	hash, err := ParseToken(raw)
	if err != nil {
		return nil, err
	}
	var userID int64
	err = s.db.R.QueryRowContext(ctx, `SELECT user_id FROM tokens
		WHERE hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?`, hash, purpose, s.now().Unix()).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	u, err := userByID(ctx, s.db.R, userID)
	if err != nil {
		return nil, err
	}
	if !tokenUsable(u, purpose) {
		return nil, ErrLinkInvalid
	}
	return u, nil
}

// tokenUsable: an activation link works for an approved account; a reset link only for one that
// can already sign in (a disabled account must not regain access by mail).
func tokenUsable(u *User, purpose string) bool {
	if purpose == PurposeReset {
		return u.Active()
	}
	return u.Status == StatusApproved
}

// consumeToken marks the token used inside tx and returns its account, re-checking everything
// LookupToken checked: between the two, the token may have been used or the account disabled.
func (s *Service) consumeToken(ctx context.Context, tx *sql.Tx, hash []byte, purpose string) (*User, error) {
	now := s.now().Unix()
	var userID int64
	err := tx.QueryRowContext(ctx, `UPDATE tokens SET used_at = ?
		WHERE hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`,
		now, hash, purpose, now).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("use token: %w", err)
	}
	u, err := userByID(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	if !tokenUsable(u, purpose) {
		return nil, ErrLinkInvalid
	}
	return u, nil
}
