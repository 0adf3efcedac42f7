package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFileName is the file in the data folder that a serving platform holds locked.
const lockFileName = "saferspaces.lock"

// lockData takes an exclusive flock on DATA/saferspaces.lock, so that a second serve on the same
// data folder refuses to start instead of running two mail workers and two cleanups on one
// database. The kernel drops the lock when the process ends, however it ends; unlock is for a
// serve that returns. The lock file itself stays, empty.
func lockData(data string) (unlock func(), err error) {
	path := filepath.Join(data, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another saferspaces serve is already running on the data folder %s (it holds %s); stop it first, or give this one another --data", data, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
