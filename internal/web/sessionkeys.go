package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeysFile holds the session keys inside the data folder.
const KeysFile = "session.keys"

// SessionKeys are the keys that authenticate (and encrypt) the session cookie. They are made on
// first start and kept in the data folder so that a restart signs nobody out.
type SessionKeys struct {
	Hash  []byte // 64 bytes, HMAC-SHA256
	Block []byte // 32 bytes, AES-256
}

// LoadOrCreateKeys reads DATA/session.keys or, if it does not exist, creates it (mode 0600).
func LoadOrCreateKeys(dataDir string) (SessionKeys, error) {
	p := filepath.Join(dataDir, KeysFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		k := SessionKeys{Hash: make([]byte, 64), Block: make([]byte, 32)}
		rand.Read(k.Hash)
		rand.Read(k.Block)
		content := hex.EncodeToString(k.Hash) + "\n" + hex.EncodeToString(k.Block) + "\n"
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return SessionKeys{}, err
		}
		// O_EXCL: two processes starting at once must not each write different keys.
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateKeys(dataDir)
		}
		if err != nil {
			return SessionKeys{}, fmt.Errorf("create session keys: %w", err)
		}
		if _, err := f.WriteString(content); err != nil {
			f.Close()
			return SessionKeys{}, fmt.Errorf("write session keys: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return SessionKeys{}, err
		}
		return k, f.Close()
	}
	if err != nil {
		return SessionKeys{}, fmt.Errorf("read session keys: %w", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return SessionKeys{}, fmt.Errorf("%s is damaged: delete it to make new keys (this signs everyone out)", p)
	}
	var k SessionKeys
	if k.Hash, err = hex.DecodeString(lines[0]); err != nil || len(k.Hash) != 64 {
		return SessionKeys{}, fmt.Errorf("%s is damaged: delete it to make new keys (this signs everyone out)", p)
	}
	if k.Block, err = hex.DecodeString(lines[1]); err != nil || len(k.Block) != 32 {
		return SessionKeys{}, fmt.Errorf("%s is damaged: delete it to make new keys (this signs everyone out)", p)
	}
	return k, nil
}
