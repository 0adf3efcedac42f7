package sqlite

// GroupCommits is how many shared transactions GroupTx has committed.
func (db *DB) GroupCommits() int64 { return db.group.commits.Load() }
