package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Trusted devices (OWASP "device cookies"): after a successful sign-in the browser gets a random
// token (the web layer puts it in a long-lived cookie); only its SHA-256 is stored, with the
// account. A sign-in that brings the token of the account whose address it types is throttled by
// the failures made with that browser, not by the account's (throttle.go), so an attacker who
// guesses passwords for an address cannot lock its owner out. The token is replaced at every
// successful sign-in, and forgotten after DeviceTTL without use, at a password change or reset,
// "sign out everywhere", disabling and erasure.

// DeviceTTL is how long a remembered browser stays remembered without signing in.
const DeviceTTL = 180 * 24 * time.Hour

func deviceHash(token string) []byte {
	if len(token) != tokenLen {
		return nil
	}
	if b, err := tokenEncoding.DecodeString(token); err != nil || len(b) != 32 {
		return nil
	}
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// trustedDevice returns the hash of token if it is a live trusted device of the account with
// the address email, else nil.
func trustedDevice(ctx context.Context, q querier, token, email string, now time.Time) ([]byte, error) {
	h := deviceHash(token)
	if h == nil {
		return nil, nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM trusted_devices d JOIN users u ON u.id = d.user_id
		WHERE d.hash = ? AND u.email = ? AND d.last_used_at > ?`, h, normalEmail(email), now.Add(-DeviceTTL).Unix()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trusted device: %w", err)
	}
	return h, nil
}

// rememberDevice replaces the device old (nil: none) of the user by a new one and returns its
// token for the cookie.
func rememberDevice(ctx context.Context, tx *sql.Tx, userID int64, old []byte, now time.Time) (string, error) {
	if old != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM trusted_devices WHERE hash = ?`, old); err != nil {
			return "", fmt.Errorf("replace device: %w", err)
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := tokenEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	if _, err := tx.ExecContext(ctx, `INSERT INTO trusted_devices(hash, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)`,
		sum[:], userID, now.Unix(), now.Unix()); err != nil {
		return "", fmt.Errorf("remember device: %w", err)
	}
	return token, nil
}

// forgetDevices forgets every remembered browser of the user.
func forgetDevices(ctx context.Context, tx *sql.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM trusted_devices WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("forget devices: %w", err)
	}
	return nil
}

// RememberDevice remembers the browser of a user who has just finished a sign-in with the second
// factor (SignIn itself remembers it when the password was all it took) and returns the token for
// the cookie. The browser's old token, if it was one of this user's, is replaced.
func (s *Service) RememberDevice(ctx context.Context, userID int64, old string) (string, error) {
	var token string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if h := deviceHash(old); h != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM trusted_devices WHERE hash = ? AND user_id = ?`, h, userID); err != nil {
				return fmt.Errorf("replace device: %w", err)
			}
		}
		var err error
		token, err = rememberDevice(ctx, tx, userID, nil, s.now())
		return err
	})
	return token, err
}
