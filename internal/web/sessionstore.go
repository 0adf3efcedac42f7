package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/gob"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// SessionCookie is the name of the session cookie. It carries nothing but the session id. Behind
// https it is sent as "__Host-" + SessionCookie: the prefix makes browsers refuse it unless it is
// Secure, for the whole host and set by this host, so no sibling domain can plant one.
const SessionCookie = "saferspaces_session"

// DeviceCookie remembers a browser that has signed in successfully (OWASP device cookies; see
// account/devices.go); "__Host-" prefixed behind https like the session cookie.
const DeviceCookie = "saferspaces_device"

// hostPrefix is the prefix of cookies behind https.
const hostPrefix = "__Host-"

// sessionUserKey holds the signed-in user's id in Session.Values.
const sessionUserKey = "uid"

// sessionStore is a gorilla/sessions Store whose sessions are rows of package account. The cookie
// holds a random 256-bit id, authenticated and encrypted with the keys from loadOrCreateKeys; the
// rows hold only the id's SHA-256.
type sessionStore struct {
	acc    *account.Service
	codec  *securecookie.SecureCookie
	secure bool
	log    *slog.Logger
}

var _ sessions.Store = (*sessionStore)(nil)

func newSessionStore(acc *account.Service, keys SessionKeys, secure bool, log *slog.Logger) *sessionStore {
	codec := securecookie.New(keys.Hash, keys.Block)
	codec.SetSerializer(securecookie.NopEncoder{})
	// The server enforces the lifetimes; this is a second line against a replayed old cookie.
	codec.MaxAge(int(account.SessionAbsolute / time.Second))
	return &sessionStore{acc: acc, codec: codec, secure: secure, log: log}
}

// options are the cookie attributes: no Max-Age, so the cookie ends with the browser session and
// never outlives the 12-hour limit on the server.
func (st *sessionStore) options() *sessions.Options {
	return &sessions.Options{Path: "/", HttpOnly: true, Secure: st.secure, SameSite: http.SameSiteLaxMode}
}

// cookieName is the name a cookie has on the wire: with the __Host- prefix behind https.
func (st *sessionStore) cookieName(name string) string {
	if st.secure {
		return hostPrefix + name
	}
	return name
}

// Get returns the request's session, loading it once per request (gorilla's registry caches it).
func (st *sessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(st, st.cookieName(name))
}

// device is the token of the request's device cookie, "" if none.
func (st *sessionStore) device(r *http.Request) string {
	c, err := r.Cookie(st.cookieName(DeviceCookie))
	if err != nil {
		return ""
	}
	return c.Value
}

// rememberDevice sets the device cookie (a random token; the server keeps its hash) for as long as
// the server remembers the browser.
func (st *sessionStore) rememberDevice(w http.ResponseWriter, token string) {
	if token == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: st.cookieName(DeviceCookie), Value: token, Path: "/",
		MaxAge: int(account.DeviceTTL / time.Second), HttpOnly: true, Secure: st.secure, SameSite: http.SameSiteLaxMode})
}

// New loads the session named by the request's cookie, or returns a new, empty one if there is no
// cookie, the cookie does not verify, or the session is unknown, revoked or expired.
func (st *sessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
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
	row, err := st.acc.Session(r.Context(), idHash(id))
	if errs.Is(err, errs.NotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	if len(row.Data) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(row.Data)).Decode(&sess.Values); err != nil {
			st.log.Warn("session data unreadable; starting a new session", "err", err)
			return sess, nil
		}
	}
	if row.UserID > 0 {
		sess.Values[sessionUserKey] = row.UserID
		// The user came with the session's row; withSession takes them from the request's
		// state instead of asking the database again.
		if st, ok := r.Context().Value(ctxKey{}).(*reqState); ok {
			st.signedIn = row.User
		}
	}
	sess.ID = base64.RawURLEncoding.EncodeToString(id)
	sess.IsNew = false
	return sess, nil
}

// Save stores the session. A session with Options.MaxAge < 0 is deleted and its cookie expired; a
// session without an id gets a new one and a cookie; an existing one has its values updated.
func (st *sessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options != nil && sess.Options.MaxAge < 0 {
		if h := sessionIDHash(sess); h != nil {
			if err := st.acc.DeleteSession(ctx, h); err != nil {
				return err
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
	// Most sessions carry nothing but their user: no data at all then, so that loading them on
	// every request decodes nothing (a gob decoder costs more than the rest of the lookup).
	if len(values) > 0 {
		if err := gob.NewEncoder(&buf).Encode(values); err != nil {
			return fmt.Errorf("encode session: %w", err)
		}
	}
	uid, _ := sessionUserID(sess)
	row := account.Session{UserID: uid, Data: buf.Bytes()}
	if sess.ID != "" {
		return st.acc.SaveSession(ctx, sessionIDHash(sess), row, false)
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
	if err := st.acc.SaveSession(ctx, idHash(id), row, true); err != nil {
		return err
	}
	sess.ID = base64.RawURLEncoding.EncodeToString(id)
	sess.IsNew = false
	http.SetCookie(w, sessions.NewCookie(sess.Name(), value, sess.Options))
	return nil
}

// login starts a signed-in session for userID. The request's old session, if any, is deleted and a
// new id issued, so an id planted before sign-in (session fixation) is worth nothing after it.
func (st *sessionStore) login(w http.ResponseWriter, r *http.Request, userID int64) (*sessions.Session, error) {
	sess, err := st.Get(r, SessionCookie)
	if err != nil {
		st.log.Warn("replacing unreadable session at sign-in", "err", err)
	}
	if h := sessionIDHash(sess); h != nil {
		if err := st.acc.DeleteSession(r.Context(), h); err != nil {
			return nil, fmt.Errorf("end old session: %w", err)
		}
	}
	sess.ID = ""
	sess.IsNew = true
	sess.Options = st.options()
	sess.Values = map[any]any{sessionUserKey: userID}
	if err := st.Save(r, w, sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// logout ends the request's session, records the sign-out and expires the cookie.
func (st *sessionStore) logout(w http.ResponseWriter, r *http.Request, act audit.Actor) error {
	sess, _ := st.Get(r, SessionCookie)
	if _, ok := sessionUserID(sess); ok && sess.ID != "" {
		if err := st.acc.Logout(r.Context(), sessionIDHash(sess), act); err != nil {
			return err
		}
	}
	return st.drop(w, r)
}

// drop ends the request's session without an audit line: for a session whose account may no
// longer be used.
func (st *sessionStore) drop(w http.ResponseWriter, r *http.Request) error {
	sess, _ := st.Get(r, SessionCookie)
	sess.Options = st.options()
	sess.Options.MaxAge = -1
	err := st.Save(r, w, sess)
	sess.Values = map[any]any{}
	return err
}

// sessionUserID is the signed-in user of a session.
func sessionUserID(sess *sessions.Session) (int64, bool) {
	if sess == nil {
		return 0, false
	}
	uid, ok := sess.Values[sessionUserKey].(int64)
	return uid, ok && uid > 0
}

// sessionIDHash is the stored form of the session's id, or nil for a session not yet saved.
func sessionIDHash(sess *sessions.Session) []byte {
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

// The half-session between the password and the second factor: an anonymous session (no user in
// its row, so no page behind the gate opens) that remembers whose password was right, when, and
// where to go afterwards. It ends with the sign-in (login issues a new id) or after pendingTTL.
const (
	pendingUserKey = "pending_uid"
	pendingAtKey   = "pending_at"
	pendingNextKey = "pending_next"
	// A POST that found its session expired, to be finished after the second step (resume.go).
	pendingResumeKey     = "pending_resume"
	pendingResumeFormKey = "pending_resume_form"
	pendingTTL           = 15 * time.Minute // long enough to install an authenticator app
)

// beginSecondStep replaces the request's session by a fresh half-session for userID.
func (st *sessionStore) beginSecondStep(w http.ResponseWriter, r *http.Request, userID int64, at time.Time, f loginForm) error {
	return st.fresh(w, r, map[any]any{pendingUserKey: userID, pendingAtKey: at.Unix(), pendingNextKey: f.Next,
		pendingResumeKey: f.Resume, pendingResumeFormKey: f.ResumeForm})
}

// fresh replaces the request's session by a new anonymous one (new id) holding values.
func (st *sessionStore) fresh(w http.ResponseWriter, r *http.Request, values map[any]any) error {
	sess, err := st.Get(r, SessionCookie)
	if err != nil {
		st.log.Warn("replacing unreadable session at sign-in", "err", err)
	}
	if h := sessionIDHash(sess); h != nil {
		if err := st.acc.DeleteSession(r.Context(), h); err != nil {
			return fmt.Errorf("end old session: %w", err)
		}
	}
	sess.ID = ""
	sess.IsNew = true
	sess.Options = st.options()
	sess.Values = values
	return st.Save(r, w, sess)
}

// pendingUser is the user of the request's half-session, if it has one that has not expired.
func (st *sessionStore) pendingUser(r *http.Request, now time.Time) (userID int64, f loginForm, ok bool) {
	sess, err := st.Get(r, SessionCookie)
	if err != nil || sess.ID == "" {
		return 0, f, false
	}
	uid, _ := sess.Values[pendingUserKey].(int64)
	at, _ := sess.Values[pendingAtKey].(int64)
	f.Next, _ = sess.Values[pendingNextKey].(string)
	f.Resume, _ = sess.Values[pendingResumeKey].(string)
	f.ResumeForm, _ = sess.Values[pendingResumeFormKey].(string)
	if uid <= 0 || now.Sub(time.Unix(at, 0)) >= pendingTTL {
		return 0, loginForm{}, false
	}
	return uid, f, true
}
