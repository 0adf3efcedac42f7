package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// argon2id parameters: OWASP's recommendation for 19 MiB of memory (m=19456 KiB, t=2, p=1).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// idKey is argon2.IDKey; a variable only so that tests can count the computations running at once.
var idKey = argon2.IDKey

// ErrMalformedHash means a stored password hash is not an argon2id PHC string this code can verify.
var ErrMalformedHash = errors.New("malformed argon2id hash")

var b64 = base64.RawStdEncoding

// HashPassword hashes pw (NFC-normalised) with argon2id and returns the PHC string
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH. It is CPU- and memory-heavy: servers call it through
// Service.hashPassword, which bounds how many run at once.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := idKey([]byte(norm.NFC.String(pw)), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC string. The parameters are read from the
// string, so hashes made with other costs keep working after a change of the constants.
func VerifyPassword(phc, pw string) (bool, error) {
	p, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	key := idKey([]byte(norm.NFC.String(pw)), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

type phcHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parsePHC reads $argon2id$v=19$m=M,t=T,p=P$SALT$HASH. The bounds stop a tampered row from
// making the server spend gigabytes or hours on one verification.
func parsePHC(s string) (*phcHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, ErrMalformedHash
	}
	var p phcHash
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return nil, ErrMalformedHash
	}
	for i, want := range []string{"m", "t", "p"} {
		k, v, ok := strings.Cut(params[i], "=")
		if !ok || k != want {
			return nil, ErrMalformedHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return nil, ErrMalformedHash
		}
		switch want {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return nil, ErrMalformedHash
			}
			p.threads = uint8(n)
		}
	}
	if p.memory < 8*uint32(p.threads) || p.memory > 256*1024 || p.time > 16 || p.threads > 16 {
		return nil, ErrMalformedHash
	}
	var err error
	if p.salt, err = b64.Strict().DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return nil, ErrMalformedHash
	}
	if p.key, err = b64.Strict().DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return nil, ErrMalformedHash
	}
	return &p, nil
}

// dummyHash is verified when a sign-in has no usable hash (unknown e-mail, account not active),
// so that such an answer takes as long as a wrong password. Its password is unknown and
// irrelevant; only its cost matters.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FmZXJzcGFjZXMtZHVtbXk$5R1NIjWeToBcyi1ing6lm9+1CyKkX8oBSqm9e+eqpIU"

// hashIdleFree is how long the hashing slots must stay unused before the memory of the last
// computations (19 MiB each) is handed back to the operating system. The Go runtime would do so
// by itself only minutes later; after a login storm the server should look idle again soon.
const hashIdleFree = 10 * time.Second

// freeIdleHashMemory returns freed memory to the operating system if no hash is running.
func (s *Service) freeIdleHashMemory() {
	if len(s.hashes) == 0 {
		debug.FreeOSMemory()
	}
}

// acquireHash waits for a free hashing slot; release it when done.
func (s *Service) acquireHash(ctx context.Context) (release func(), err error) {
	select {
	case s.hashes <- struct{}{}:
		return func() {
			<-s.hashes
			if len(s.hashes) == 0 {
				s.hashesIdle.Reset(hashIdleFree)
			}
		}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hashPassword is HashPassword within the service's bound on concurrent hashes.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.acquireHash(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(pw)
}

// verifyHeld is VerifyPassword for a caller that holds a hashing slot. An empty or malformed
// stored hash is checked against dummyHash (and fails), so the caller's timing does not reveal it.
func (s *Service) verifyHeld(phc, pw string) bool {
	if phc == "" {
		VerifyPassword(dummyHash, pw)
		return false
	}
	ok, err := VerifyPassword(phc, pw)
	if err != nil {
		VerifyPassword(dummyHash, pw)
		s.log.Error("stored password hash is malformed; the account cannot sign in until its password is reset")
		return false
	}
	return ok
}
