package learning

import "sync"

// userLocks serialise each learner's writes within this process. A learner's records change only
// through their own writes (and the erasure that ends them), so under the learner's lock they can
// be read on the read pool before the write transaction rather than inside it: the database's one
// write lock, which every learner waits for, is then held for the writes alone. (The platform runs
// as one process: serve locks its data folder.)
type userLocks struct {
	mu    sync.Mutex
	locks map[int64]*userLock
}

type userLock struct {
	sync.Mutex
	users int // holding or waiting; the entry goes when the last one leaves
}

// lock takes the learner's lock and returns its release.
func (l *userLocks) lock(userID int64) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[int64]*userLock{}
	}
	ul := l.locks[userID]
	if ul == nil {
		ul = &userLock{}
		l.locks[userID] = ul
	}
	ul.users++
	l.mu.Unlock()
	ul.Lock()
	return func() {
		ul.Unlock()
		l.mu.Lock()
		if ul.users--; ul.users == 0 {
			delete(l.locks, userID)
		}
		l.mu.Unlock()
	}
}
