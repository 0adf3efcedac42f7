package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// KeyFile holds the key that seals second-factor secrets and keys the hashes of recovery codes,
// inside the data folder (beside session.keys). It is made on first use, mode 0600. A copy of the
// database without it lets nobody compute a code; losing it means every second factor has to be
// set up again (an admin resets them), nothing else.
const KeyFile = "secrets.key"

// keyring loads the key file once, when a second factor is first used.
type keyring struct {
	path string
	once sync.Once
	aead cipher.AEAD
	mac  []byte
	err  error
}

func (k *keyring) load() error {
	k.once.Do(func() {
		if k.path == "" {
			k.err = errors.New("no key file configured for second factors")
			return
		}
		var key []byte
		key, k.err = loadOrCreateKey(k.path)
		if k.err != nil {
			return
		}
		// One file, two purposes: derive separate keys so a sealed secret and a code hash never
		// share key material.
		enc := hmac.New(sha256.New, key)
		enc.Write([]byte("saferspaces second-factor secret v1"))
		block, err := aes.NewCipher(enc.Sum(nil))
		if err != nil {
			k.err = err
			return
		}
		k.aead, k.err = cipher.NewGCM(block)
		m := hmac.New(sha256.New, key)
		m.Write([]byte("saferspaces recovery code v1"))
		k.mac = m.Sum(nil)
	})
	return k.err
}

// seal encrypts secret for the user; the user id is authenticated data, so a sealed secret copied
// to another account's row does not open.
func (k *keyring) seal(userID int64, secret string) ([]byte, error) {
	if err := k.load(); err != nil {
		return nil, err
	}
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, []byte(secret), userAAD(userID)), nil
}

func (k *keyring) open(userID int64, sealed []byte) (string, error) {
	if err := k.load(); err != nil {
		return "", err
	}
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed secret too short")
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], userAAD(userID))
	if err != nil {
		return "", fmt.Errorf("second-factor secret of user %d does not open (was %s replaced?): %w", userID, KeyFile, err)
	}
	return string(plain), nil
}

// codeHash is the stored form of a recovery code.
func (k *keyring) codeHash(userID int64, code string) ([]byte, error) {
	if err := k.load(); err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, k.mac)
	m.Write(userAAD(userID))
	m.Write([]byte(code))
	return m.Sum(nil), nil
}

func userAAD(userID int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(userID)) }

// loadOrCreateKey reads the hex key at path or makes a new one (O_EXCL, so two processes starting
// at once agree on one key).
func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return loadOrCreateKey(path)
		}
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		return key, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%s is damaged: restore it from the backup of the data folder (a new key voids every second factor)", path)
	}
	return key, nil
}

// UseKeyFile tells the service where the key of second factors is (DATA/secrets.key); it is read
// or made on first use. LoadKeys reads it at once, so that serve stops at start on a damaged file.
func (s *Service) UseKeyFile(path string) { s.keys = &keyring{path: path} }

// LoadKeys reads (or makes) the key file now.
func (s *Service) LoadKeys() error { return s.keys.load() }
