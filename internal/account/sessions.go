package account

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"saferspaces/internal/audit"
	"saferspaces/internal/sqlite"
)

// SessionCookie is the name of the session cookie. It carries nothing but the session id.
const SessionCookie = "saferspaces_session"

// Session lifetimes, enforced on the server whenever a session is loaded. The last-seen time is
// written at most once per sessionTouch, so the idle timeout ends a session after 29 to 30
// minutes without a request.
const (
	SessionIdle     = 30 * time.Minute
	SessionAbsolute = 12 * time.Hour
	sessionTouch    = time.Minute
	sessionSweep    = 5 * time.Minute
)

// sessionUserKey holds the signed-in user's id in Session.Values.
const sessionUserKey = "uid"

// SessionStore is a gorilla/sessions Store kept in the sessions table. The cookie holds a random
// 256-bit id, authenticated and encrypted with the keys from LoadOrCreateKeys; the table holds
// only the id's SHA-256, so a copy of the database does not hand out live sessions.
type SessionStore struct {
	db     *sqlite.DB
	now    func() time.Time
	codec  *securecookie.SecureCookie
	secure bool
	log    *slog.Logger
	swept  atomic.Int64 // unix time of the last sweep of expired rows
}

var _ sessions.Store = (*SessionStore)(nil)

// NewSessionStore builds the store. secure sets the cookie's Secure flag (the public URL is https).
func NewSessionStore(db *sqlite.DB, now func() time.Time, keys SessionKeys, secure bool, log *slog.Logger) *SessionStore {
	codec := securecookie.New(keys.Hash, keys.Block)
	codec.SetSerializer(securecookie.NopEncoder{})
	// The server enforces the lifetimes; this is a second line against a replayed old cookie.
	codec.MaxAge(int(SessionAbsolute / time.Second))
	return &SessionStore{db: db, now: now, codec: codec, secure: secure, log: log}
}

// options are the cookie attributes: no Max-Age, so the cookie ends with the browser session and
// never outlives the 12-hour limit on the server.
func (st *SessionStore) options() *sessions.Options {
	return &sessions.Options{Path: "/", HttpOnly: true, Secure: st.secure, SameSite: http.SameSiteLaxMode}
}

// Get returns the request's session, loading it once per request (gorilla's registry caches it).
func (st *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(st, name)
}

// New loads the session named by the request's cookie, or returns a new, empty one if there is no
// cookie, the cookie does not verify, or the session is unknown, revoked or expired (an expired
// row is deleted on the way).
func (st *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(st, name)
	sess.Options = st.options()
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	var id []byte
	if err := st.codec.Decode(name, c.Value, &id); err != nil || len(id) != 32 {
		return sess, nil // forged, damaged or made with other keys
	}
	hash := idHash(id)
	ctx := r.Context()
	var userID sql.NullInt64
	var data []byte
	var created, seen int64
	err = st.db.R.QueryRowContext(ctx, `SELECT user_id, data, created_at, last_seen_at FROM sessions WHERE id_hash = ?`,
		hash).Scan(&userID, &data, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, nil
	}
	if err != nil {
		return sess, fmt.Errorf("load session: %w", err)
	}
	now := st.now().Unix()
	if now >= created+int64(SessionAbsolute/time.Second) || now >= seen+int64(SessionIdle/time.Second) {
		if _, err := st.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hash); err != nil {
			return sess, fmt.Errorf("delete expired session: %w", err)
		}
		return sess, nil
	}
	if len(data) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&sess.Values); err != nil {
			st.log.Warn("session data unreadable; starting a new session", "err", err)
			return sess, nil
		}
	}
	if userID.Valid {
		sess.Values[sessionUserKey] = userID.Int64
	}
	sess.ID = base64.RawURLEncoding.EncodeToString(id)
	sess.IsNew = false
	if now-seen >= int64(sessionTouch/time.Second) {
		expires := min(created+int64(SessionAbsolute/time.Second), now+int64(SessionIdle/time.Second))
		if _, err := st.db.W.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?`,
			now, expires, hash); err != nil {
			return sess, fmt.Errorf("touch session: %w", err)
		}
	}
	return sess, nil
}

// Save stores the session. A session with Options.MaxAge < 0 is deleted and its cookie expired; a
// session without an id gets a new one and a cookie; an existing one has its values updated (if
// its row was revoked meanwhile, it stays revoked).
func (st *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options != nil && sess.Options.MaxAge < 0 {
		if h := SessionIDHash(sess); h != nil {
			if _, err := st.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, h); err != nil {
				return fmt.Errorf("delete session: %w", err)
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		sess.ID = ""
		return nil
	}
	var buf bytes.Buffer
	values := make(map[any]any, len(sess.Values))
	for k, v := range sess.Values {
		if k != sessionUserKey {
			values[k] = v
		}
	}
	if err := gob.NewEncoder(&buf).Encode(values); err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	var userID any // NULL for a session without a user
	if uid, ok := SessionUserID(sess); ok {
		userID = uid
	}
	if sess.ID != "" {
		_, err := st.db.W.ExecContext(ctx, `UPDATE sessions SET data = ?, user_id = ? WHERE id_hash = ?`,
			buf.Bytes(), userID, SessionIDHash(sess))
		if err != nil {
			return fmt.Errorf("save session: %w", err)
		}
		return nil
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("session id: %w", err)
	}
	// A copy: securecookie encrypts its input in place.
	value, err := st.codec.Encode(sess.Name(), bytes.Clone(id))
	if err != nil {
		return fmt.Errorf("encode session cookie: %w", err)
	}
	now := st.now().Unix()
	_, err = st.db.W.ExecContext(ctx, `INSERT INTO sessions(id_hash, user_id, data, created_at, last_seen_at, expires_at)
		VALUES(?, ?, ?, ?, ?, ?)`, idHash(id), userID, buf.Bytes(), now, now, now+int64(SessionIdle/time.Second))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	sess.ID = base64.RawURLEncoding.EncodeToString(id)
	sess.IsNew = false
	http.SetCookie(w, sessions.NewCookie(sess.Name(), value, sess.Options))
	return nil
}

// Login starts a signed-in session for userID. The request's old session, if any, is deleted and a
// new id issued, so an id planted before sign-in (session fixation) is worth nothing after it.
func (st *SessionStore) Login(w http.ResponseWriter, r *http.Request, userID int64) (*sessions.Session, error) {
	sess, err := st.Get(r, SessionCookie)
	if err != nil {
		st.log.Warn("replacing unreadable session at sign-in", "err", err)
	}
	if h := SessionIDHash(sess); h != nil {
		if _, err := st.db.W.ExecContext(r.Context(), `DELETE FROM sessions WHERE id_hash = ?`, h); err != nil {
			return nil, fmt.Errorf("end old session: %w", err)
		}
	}
	sess.ID = ""
	sess.IsNew = true
	sess.Options = st.options()
	sess.Values = map[any]any{sessionUserKey: userID}
	st.sweep(r.Context())
	if err := st.Save(r, w, sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// Logout ends the request's session on the server, expires the cookie and records the sign-out.
func (st *SessionStore) Logout(w http.ResponseWriter, r *http.Request, ip string) error {
	sess, _ := st.Get(r, SessionCookie)
	if uid, ok := SessionUserID(sess); ok && sess.ID != "" {
		err := st.db.Tx(r.Context(), func(tx *sql.Tx) error {
			var email string
			if err := tx.QueryRowContext(r.Context(), `SELECT email FROM users WHERE id = ?`, uid).Scan(&email); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			return audit.Record(r.Context(), tx, audit.Event{At: st.now(), ActorID: uid, Actor: email, Action: "logout",
				TargetID: uid, Target: email, IP: ip})
		})
		if err != nil {
			return err
		}
	}
	return st.Drop(w, r)
}

// Drop ends the request's session without an audit line: for a session whose account may no
// longer be used.
func (st *SessionStore) Drop(w http.ResponseWriter, r *http.Request) error {
	sess, _ := st.Get(r, SessionCookie)
	sess.Options = st.options()
	sess.Options.MaxAge = -1
	err := st.Save(r, w, sess)
	sess.Values = map[any]any{}
	return err
}

// SessionUserID is the signed-in user of a session.
func SessionUserID(sess *sessions.Session) (int64, bool) {
	if sess == nil {
		return 0, false
	}
	uid, ok := sess.Values[sessionUserKey].(int64)
	return uid, ok && uid > 0
}

// SessionIDHash is the stored form of the session's id, or nil for a session not yet saved. Pass
// it to RevokeUser to keep the current session.
func SessionIDHash(sess *sessions.Session) []byte {
	if sess == nil || sess.ID == "" {
		return nil
	}
	id, err := base64.RawURLEncoding.DecodeString(sess.ID)
	if err != nil {
		return nil
	}
	return idHash(id)
}

func idHash(id []byte) []byte {
	sum := sha256.Sum256(id)
	return sum[:]
}

// RevokeUser ends every session of the user at once, except the one whose id hash is given (nil:
// all). Called in the transaction of the change that requires it: a password change, a reset,
// disabling the account, "sign out everywhere", erasure.
func (s *Service) RevokeUser(ctx context.Context, tx *sql.Tx, userID int64, exceptIDHash []byte) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ?`, userID, exceptIDHash)
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// sweep deletes expired session rows, at most once every few minutes per process.
func (st *SessionStore) sweep(ctx context.Context) {
	now := st.now().Unix()
	last := st.swept.Load()
	if now-last < int64(sessionSweep/time.Second) || !st.swept.CompareAndSwap(last, now) {
		return
	}
	if _, err := st.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now); err != nil {
		st.log.Warn("sweep expired sessions", "err", err)
	}
}
