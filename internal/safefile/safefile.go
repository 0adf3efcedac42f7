// Package safefile writes a file that appears under its name only when it is complete: backups
// and exports are written to a temporary file beside their target (".NAME.tmp-DIGITS"), synced,
// and given the target's name at the end, never replacing a file that is there. A kill leaves at
// most the temporary file, which the next run to the same target removes (RemoveStale).
//
// Whether a temporary file is still being written is told by an flock its writer holds until the
// file has its final name or is gone: unlike a pid in the name, it cannot be fooled by a reused
// pid or by a writer in another pid namespace (docker exec beside a host timer).
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
)

// File is a temporary file being written for dest. Write to it (or to Name(), as VACUUM INTO
// does), then Commit or Abort.
type File struct {
	*os.File
	dest string
}

// suffixes are the files SQLite may create beside a database it writes.
var suffixes = []string{"-journal", "-wal", "-shm"}

// Create creates a locked temporary file beside dest, with mode 0600. what names the file to be
// written ("the backup"), for the message when dest's folder is missing or not writable. Create
// does not look at dest itself: the caller refuses an existing one with its own words, and Commit
// refuses one that appeared in the meantime.
func Create(dest, what string) (*File, error) {
	dir := filepath.Dir(dest)
	for range 10 {
		f, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*")
		if err != nil {
			return nil, folderError(dir, what, err)
		}
		// RemoveStale may have taken the new file for a stale one between its creation and the
		// lock: then the name is gone or another file's, and a new name is taken.
		if lockNB(f) == nil && sameFile(f, f.Name()) {
			return &File{File: f, dest: dest}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("cannot write %s into %s: no temporary file could be locked", what, dir)
}

func folderError(dir, what string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot write %s into %s: no such folder", what, dir)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("cannot write %s into %s: not a folder", what, dir)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("cannot write %s into %s: the folder is on a read-only file system", what, dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot write %s into %s: the folder is not writable for this user", what, dir)
	}
	return fmt.Errorf("cannot write %s into %s: %w", what, dir, err)
}

// Commit syncs the file and gives it dest's name, unless dest exists by now; then it syncs the
// folder. The lock is held until the temporary name is gone, so RemoveStale never takes the file
// for a stale one. On error the temporary file is removed.
func (f *File) Commit() (err error) {
	defer func() {
		if err != nil {
			f.Abort()
		}
	}()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := renameNoReplace(f.Name(), f.dest); err != nil {
		return err
	}
	f.Close()
	if err := syncPath(filepath.Dir(f.dest)); err != nil {
		return fmt.Errorf("%s written, but its folder could not be synced: %w", f.dest, err)
	}
	return nil
}

// Abort removes the temporary file and what SQLite may have left beside it. The files beside it
// go first, so that none is ever there without the file it belongs to.
func (f *File) Abort() {
	for _, s := range suffixes {
		os.Remove(f.Name() + s)
	}
	os.Remove(f.Name())
	f.Close()
}

// RemoveStale removes the temporary files of earlier, interrupted writes to dest: those named
// exactly ".NAME.tmp-DIGITS" (and their -journal, -wal, -shm) beside dest whose writer holds no
// lock on them any more. It returns the names it removed; a folder it cannot read is left to
// Create to report.
func RemoveStale(dest string) []string {
	dir, base := filepath.Dir(dest), filepath.Base(dest)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	pattern := regexp.MustCompile(`^` + regexp.QuoteMeta("."+base+".tmp-") + `[0-9]+(-journal|-wal|-shm)?$`)
	var removed []string
	remove := func(name string) {
		if os.Remove(filepath.Join(dir, name)) == nil {
			removed = append(removed, filepath.Join(dir, name))
		}
	}
	var beside []string
	for _, e := range entries {
		switch {
		case !e.Type().IsRegular() || !pattern.MatchString(e.Name()):
		case pattern.FindStringSubmatch(e.Name())[1] != "":
			beside = append(beside, e.Name())
		default:
			path := filepath.Join(dir, e.Name())
			f, err := os.Open(path)
			if err != nil {
				continue
			}
			if lockNB(f) == nil && sameFile(f, path) {
				for _, s := range suffixes {
					if _, err := os.Lstat(path + s); err == nil {
						remove(e.Name() + s)
					}
				}
				remove(e.Name())
			}
			f.Close()
		}
	}
	// A -journal whose file is gone belongs to no writer: a writer removes it before its file.
	for _, name := range beside {
		main := pattern.FindStringSubmatchIndex(name)[2]
		if _, err := os.Lstat(filepath.Join(dir, name[:main])); errors.Is(err, fs.ErrNotExist) {
			remove(name)
		}
	}
	return removed
}

// lockNB takes an exclusive flock on f without waiting; it is released when f is closed (or its
// process ends, however it ends).
func lockNB(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB) }); err != nil {
		return err
	}
	return lerr
}

// sameFile reports whether path still names the open file f.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// renameNoReplace gives the file at from the name to, unless to exists: a hard link (which fails
// on an existing name) and the removal of the old name. File systems without hard links get a
// check and a rename.
func renameNoReplace(from, to string) error {
	err := os.Link(from, to)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s appeared while it was written; the copy was not kept", to)
	}
	if err != nil {
		if _, serr := os.Lstat(to); serr == nil {
			return fmt.Errorf("%s appeared while it was written; the copy was not kept", to)
		}
		return os.Rename(from, to)
	}
	return os.Remove(from)
}
