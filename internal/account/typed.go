package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"saferspaces/internal/sqlite"
)

// Text typed into the e-mail field of the sign-in, reset or activation form is stored (for
// throttling and the audit log) only as a keyed hash, unless it is the address of a known account:
// people type passwords into the wrong field, and a password must never be stored in clear. The
// key is random per installation and kept in the settings table, so the hashes of one address
// agree across restarts (the throttle counts them) and mean nothing elsewhere.

const typedKeySetting = "typed_address_key"

// key returns the installation's key, creating it on first use. tx is the caller's write
// transaction, if it holds one (the single writer connection): the key is then read and created
// in it; nil otherwise.
func (s *Service) key(ctx context.Context, tx *sql.Tx) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.auditKey != nil {
		return s.auditKey, nil
	}
	gen := func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	var v string
	var err error
	keep := true
	if tx != nil {
		var found bool
		if v, found, err = sqlite.SettingIn(ctx, tx, typedKeySetting, nil); err == nil && !found {
			// Made in the caller's transaction, which may still roll back: not kept in memory.
			v, _, err = sqlite.SettingIn(ctx, tx, typedKeySetting, gen)
			keep = false
		}
	} else {
		v, err = s.db.Setting(ctx, typedKeySetting, gen)
	}
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(v)
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("setting %s is damaged", typedKeySetting)
	}
	if keep {
		s.auditKey = k
	}
	return k, nil
}

// typedHash is the stored form of an address as typed: "typed:" and 24 hex digits of
// HMAC-SHA256 over the normalised text, in lower case: accounts are found whatever the case of
// the address, so the sign-in failures counted under this key must not split by case either
// (Erika@ and erika@ would each get a fresh allowance).
func (s *Service) typedHash(ctx context.Context, typed string) (string, error) {
	return s.typedHashIn(ctx, nil, typed)
}

// typedHashIn is typedHash for a caller inside the write transaction tx.
func (s *Service) typedHashIn(ctx context.Context, tx *sql.Tx, typed string) (string, error) {
	k, err := s.key(ctx, tx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(strings.ToLower(normalEmail(typed))))
	return "typed:" + hex.EncodeToString(m.Sum(nil))[:24], nil
}

// typedActor names whoever typed an address in the audit log: the account's own address when
// it belongs to u, else the keyed hash.
func (s *Service) typedActor(ctx context.Context, typed string, u *User) (string, error) {
	if u != nil {
		return u.Email, nil
	}
	return s.typedHash(ctx, typed)
}
