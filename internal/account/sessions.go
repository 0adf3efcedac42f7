package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// Sessions are kept here as rows: a session is a hash of its id (the web layer makes the id and
// the cookie that carries it), an optional user, the web layer's opaque data and its times. The
// lifetimes are enforced here, whenever a session is loaded, so that no cookie outlives them.
//
// The idle limit depends on the role the user has now (docs/security.md gives the reasoning): 30
// minutes for administrators and trainers, who see other people's data (OWASP ASVS 4.0 V3.3.2,
// level 2); two hours for learners, whose session reaches nothing but their own training, so
// that reading a long lesson or a lunch break does not end it. The absolute limit of 12 hours
// holds for everyone.
const (
	SessionIdle        = 30 * time.Minute // admins, trainers, and sessions of no one
	SessionIdleLearner = 2 * time.Hour
	SessionAbsolute    = 12 * time.Hour
	// The last-seen time is written at most once a minute, so the idle timeout ends a session
	// after 29 to 30 minutes without a request and reading pages costs no write per request.
	sessionTouch = time.Minute
	sessionSweep = 5 * time.Minute
)

// IdleLimit is how long a session of a user with role may go without a request.
func IdleLimit(role Role) time.Duration {
	if role == RoleLearner {
		return SessionIdleLearner
	}
	return SessionIdle
}

// Session is a stored session.
type Session struct {
	UserID int64 // 0: no one signed in
	Data   []byte
	// User is the signed-in user as every request needs them, read with the session (Session
	// only; nil without a user or when the user's row is gone).
	User *SignedIn
}

// Session loads the session whose id hashes to idHash. An unknown, revoked or expired session is
// errs.NotFound (an expired row is deleted on the way); a live one has its last-seen time moved
// on, at most once a minute.
func (s *Service) Session(ctx context.Context, idHash []byte) (*Session, error) {
	var userID sql.NullInt64
	var data []byte
	var created, seen int64
	// Two single-row lookups: SQLite takes several times longer for the same rows as a join.
	err := s.db.R.QueryRowContext(ctx, `SELECT user_id, data, created_at, last_seen_at FROM sessions WHERE id_hash = ?`,
		idHash).Scan(&userID, &data, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "no such session")
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	var u *SignedIn
	if userID.Valid {
		if u, err = s.SignedInUser(ctx, userID.Int64); errs.Is(err, errs.NotFound) {
			u = &SignedIn{} // the user is gone: withSession drops the session
		} else if err != nil {
			return nil, fmt.Errorf("load session: %w", err)
		}
	} else {
		u = &SignedIn{}
	}
	now := s.now().Unix()
	idle := int64(IdleLimit(u.Role) / time.Second)
	if now >= created+int64(SessionAbsolute/time.Second) || now >= seen+idle {
		// Deleting is housekeeping: the session has ended whether or not the row goes now (the
		// sweep takes it later).
		if _, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
			s.log.Warn("delete expired session", "err", err)
		}
		return nil, errs.E(errs.NotFound, "session expired")
	}
	if now-seen >= int64(sessionTouch/time.Second) {
		// Moving the last-seen time is bookkeeping too: when it cannot be written (a full disk, a
		// lock held too long) the page is still served; the session merely ends a little sooner.
		expires := min(created+int64(SessionAbsolute/time.Second), now+idle)
		// It does not wait for the disk either (sqlite.DB.BookkeepingTx).
		err := s.db.BookkeepingTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?`, now, expires, idHash)
			return err
		})
		if err != nil {
			s.log.Warn("touch session: last-seen time not recorded", "err", err)
		}
	}
	sess := &Session{UserID: userID.Int64, Data: data}
	if u.ID != 0 {
		sess.User = u
	}
	return sess, nil
}

// SaveSession stores a session's user and data: a new row for an id not seen before, else an
// update (a row revoked meanwhile stays revoked: the update finds nothing).
func (s *Service) SaveSession(ctx context.Context, idHash []byte, sess Session, isNew bool) error {
	var userID any // NULL for a session without a user
	if sess.UserID > 0 {
		userID = sess.UserID
	}
	if sess.Data == nil {
		sess.Data = []byte{}
	}
	if !isNew {
		if _, err := s.db.W.ExecContext(ctx, `UPDATE sessions SET data = ?, user_id = ? WHERE id_hash = ?`,
			sess.Data, userID, idHash); err != nil {
			return fmt.Errorf("save session: %w", err)
		}
		return nil
	}
	now := s.now().Unix()
	// The row's expiry follows the idle limit of the user's role (the sweep goes by it).
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO sessions(id_hash, user_id, data, created_at, last_seen_at, expires_at)
		VALUES(?1, ?2, ?3, ?4, ?4, ?4 + CASE WHEN (SELECT role FROM users WHERE id = ?2) = ?5 THEN ?6 ELSE ?7 END)`,
		idHash, userID, sess.Data, now, RoleLearner, int64(SessionIdleLearner/time.Second), int64(SessionIdle/time.Second))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	s.sweepSessions(ctx)
	return nil
}

// DeleteSession ends a session; deleting one that does not exist is not an error.
func (s *Service) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Logout ends a signed-in session and records the sign-out.
func (s *Service) Logout(ctx context.Context, idHash []byte, act audit.Actor) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
			return err
		}
		return audit.Log(ctx, tx, s.now(), act, "logout", act.ID, act.Email, "")
	})
}

// RevokeUser ends every session of the user at once, except the one whose id hash is given (nil:
// all). Called in the transaction of the change that requires it: a password change, a reset,
// disabling the account, "sign out everywhere", a new role, erasure.
func (s *Service) RevokeUser(ctx context.Context, tx *sql.Tx, userID int64, exceptIDHash []byte) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ?`, userID, exceptIDHash)
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// sweepSessions deletes expired session rows, at most once every few minutes per process.
func (s *Service) sweepSessions(ctx context.Context) {
	now := s.now().Unix()
	last := s.sessionsSwept.Load()
	if now-last < int64(sessionSweep/time.Second) || !s.sessionsSwept.CompareAndSwap(last, now) {
		return
	}
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now); err != nil {
		s.log.Warn("sweep expired sessions", "err", err)
	}
}

// ActiveSessions counts the live sessions and those of them that are signed in, for monitoring.
func (s *Service) ActiveSessions(ctx context.Context) (all, signedIn int, err error) {
	err = s.db.R.QueryRowContext(ctx, `SELECT count(*), count(user_id) FROM sessions WHERE expires_at > ?`,
		s.now().Unix()).Scan(&all, &signedIn)
	if err != nil {
		return 0, 0, fmt.Errorf("count sessions: %w", err)
	}
	return all, signedIn, nil
}
