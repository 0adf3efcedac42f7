package web

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"saferspaces/internal/i18n"
	"saferspaces/internal/limits"
)

// formLimits are the limits on the forms that cause mail: the public ones, and a trainer's message
// to a cohort (docs/security.md, "Abuse limits"). A refused request gets the 429 page with
// Retry-After and changes nothing.
type formLimits struct {
	registerByIP     *limits.Keyed // POST /register per client address
	registerByTarget *limits.Keyed // POST /register per address typed
	forgotByIP       *limits.Keyed // POST /password/forgot per client address
	renewByIP        *limits.Keyed // POST /activation/new per client address
	feedbackByIP     *limits.Keyed // POST /accessibility/feedback per client address
	messageByUser    *limits.Keyed // POST /trainer/cohorts/{id}/message per trainer
}

func newFormLimits(now func() time.Time) formLimits {
	return formLimits{
		// A municipality's staff may register one after another from one office address.
		registerByIP:     limits.New(10, 6*time.Minute, now), // 10 at once, then 10 an hour
		registerByTarget: limits.New(3, 8*time.Hour, now),    // one address: two retries, then 3 a day
		forgotByIP:       limits.New(10, 6*time.Minute, now),
		renewByIP:        limits.New(10, 6*time.Minute, now),
		feedbackByIP:     limits.New(5, 12*time.Minute, now),
		// One message mails the whole cohort: a trainer with many cohorts may write to each, but
		// a taken-over account cannot turn the platform into a mailing machine.
		messageByUser: limits.New(10, 6*time.Minute, now), // 10 at once, then 10 an hour
	}
}

// allow checks the buckets; if one is empty it answers 429 and reports false.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, checks ...func() (bool, time.Duration)) bool {
	for _, c := range checks {
		if ok, wait := c(); !ok {
			s.tooMany(w, r, wait)
			return false
		}
	}
	return true
}

// mailCapReached reports (after answering 429) whether the mail the public forms may cause in an
// hour, counted in the outbox, is used up.
func (s *Server) mailCapReached(w http.ResponseWriter, r *http.Request) bool {
	n, err := s.Outbox.PublicSince(r.Context(), s.now().Add(-time.Hour))
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	if n >= s.cfg.MailHourlyCap {
		s.log.Warn("hourly mail cap reached: public forms refused", "cap", s.cfg.MailHourlyCap, "path", r.URL.Path)
		s.tooMany(w, r, 10*time.Minute)
		return true
	}
	return false
}

// tooMany is the 429 page in the layout, with Retry-After.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	minutes := max(1, int(math.Ceil(wait.Minutes())))
	s.errorPageMsg(w, r, http.StatusTooManyRequests, i18n.T(state(r).lang, "legal.limit.wait", "Minutes", minutes))
}

// network is the client's address as the per-address limits count it (limits.Network: an IPv6
// client's /64).
func network(r *http.Request) string { return limits.Network(clientIP(r)) }

// targetKey is the address typed into a form, as the per-target limit counts it: a hash of it,
// so that the buckets, kept in memory for hours and beyond any erasure, hold no address.
func targetKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:16])
}
