package learning

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"sync"

	"saferspaces/internal/content"
)

// Paper is what one self-check attempt shows: the questions drawn from the module's pool, in the
// order shown, each with its choices in the order shown. It is stored with the attempt, so that
// the score counts exactly these questions and a review shows them the same way again.
type Paper []PaperQuestion

// PaperQuestion is one question of a paper with its choice ids in the order shown.
type PaperQuestion struct {
	Question string   `json:"q"`
	Choices  []string `json:"c"`
}

// Questions are the question ids of the paper, in order.
func (p Paper) Questions() []string {
	ids := make([]string, len(p))
	for i, q := range p {
		ids[i] = q.Question
	}
	return ids
}

func (p Paper) equal(o Paper) bool {
	return slices.EqualFunc(p, o, func(a, b PaperQuestion) bool {
		return a.Question == b.Question && slices.Equal(a.Choices, b.Choices)
	})
}

// contentOrder is the paper of an attempt stored before papers existed: every question of the
// pool, in content order.
func contentOrder(c *content.Check) Paper {
	p := make(Paper, len(c.Questions))
	for i, q := range c.Questions {
		p[i] = PaperQuestion{Question: q.ID}
		for _, ch := range q.Choices {
			p[i].Choices = append(p[i].Choices, ch.ID)
		}
	}
	return p
}

// draw makes a paper from a seed: Drawn() questions of the pool in random order, each with its
// choices in random order.
func draw(c *content.Check, seed [32]byte) Paper {
	rng := mrand.New(mrand.NewChaCha8(seed))
	order := rng.Perm(len(c.Questions))[:c.Drawn()]
	p := make(Paper, len(order))
	for i, qi := range order {
		q := c.Questions[qi]
		p[i] = PaperQuestion{Question: q.ID, Choices: make([]string, len(q.Choices))}
		for j, ci := range rng.Perm(len(q.Choices)) {
			p[i].Choices[j] = q.Choices[ci].ID
		}
	}
	return p
}

// paperFor is the paper of a learner's next attempt at a module (key: paperKey). It is derived, not stored: a
// keyed hash of learner, module and the number of attempts so far seeds the draw, so the form
// shows the same paper however often it is reloaded (and GET writes nothing), the submission is
// graded against that same paper, and the next attempt gets a new one. A draw that happens to
// repeat the previous attempt's paper exactly is drawn again, so every attempt really is in a
// new order wherever the pool allows one.
func (s *Service) paperFor(ctx context.Context, q querier, key []byte, userID int64, m *content.Module) (Paper, sofar, error) {
	var so sofar
	err := q.QueryRowContext(ctx, `SELECT attempts, last_at FROM check_stats WHERE user_id = ? AND module_id = ?`,
		userID, m.ID).Scan(&so.attempts, &so.lastAt)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, so, fmt.Errorf("attempts so far: %w", err)
	}
	n, lastAt := so.attempts, so.lastAt
	mk := memoKey{userID, m.ID}
	last, ok := s.papers.get(mk, n, lastAt)
	if !ok && n > 0 {
		// The last paper by the covering index's order.
		var prev []byte
		err := q.QueryRowContext(ctx, `SELECT shown FROM check_attempts WHERE user_id = ? AND module_id = ?
			ORDER BY submitted_at DESC, id DESC LIMIT 1`, userID, m.ID).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, so, fmt.Errorf("last paper: %w", err)
		}
		if len(prev) > 0 {
			_ = json.Unmarshal(prev, &last) // an unreadable paper cannot be repeated either
		}
		s.papers.put(mk, n, lastAt, last)
	}
	return nextPaper(m.Check, key, userID, m.ID, n, last), so, nil
}

// sofar is a learner's attempts at a module before the next one: how many, and the time of the
// newest (check_stats).
type sofar struct {
	attempts int
	lastAt   int64
}

// nextPaper draws the paper of attempt number n+1 (n attempts so far), avoiding last.
func nextPaper(c *content.Check, key []byte, userID int64, moduleID string, n int, last Paper) Paper {
	var p Paper
	for try := range 8 {
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%d\x00%s\x00%d\x00%d", userID, moduleID, n, try)
		var seed [32]byte
		copy(seed[:], mac.Sum(nil))
		if p = draw(c, seed); !p.equal(last) {
			break
		}
	}
	return p
}

// paperMemo remembers each learner's last paper per module with the attempt count and time it
// was the last of (check_stats' attempts and last_at): paperFor reads those two figures anyway,
// and while they are unchanged the last paper is the one remembered — no need to read it from
// the attempt's row (JSON, past the answers) on every form and every submission. Anything else
// that adds or removes attempts changes the figures, and the paper is read again.
type paperMemo struct {
	mu sync.Mutex
	m  map[memoKey]memo
}

type memoKey struct {
	user   int64
	module string
}

type memo struct {
	attempts int
	lastAt   int64
	last     Paper
}

// memoSize bounds the memo: one entry per learner and module taken lately.
const memoSize = 50_000

func (pm *paperMemo) get(k memoKey, attempts int, lastAt int64) (Paper, bool) {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	e, ok := pm.m[k]
	if !ok || e.attempts != attempts || e.lastAt != lastAt {
		return nil, false
	}
	return e.last, true
}

func (pm *paperMemo) put(k memoKey, attempts int, lastAt int64, last Paper) {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	if pm.m == nil {
		pm.m = make(map[memoKey]memo)
	}
	if _, ok := pm.m[k]; !ok && len(pm.m) >= memoSize {
		for old := range pm.m { // one entry out, any one
			delete(pm.m, old)
			break
		}
	}
	pm.m[k] = memo{attempts: attempts, lastAt: lastAt, last: last}
}

// paperKey is the secret that seeds the draws, made once per installation and kept in the
// settings: without it, anyone who reads this code could work out which questions a learner's
// next attempt draws.
func (s *Service) paperKey(ctx context.Context) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	v, err := s.db.Setting(ctx, "learning.paper_key", func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return hex.EncodeToString(b)
	})
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("setting learning.paper_key is damaged")
	}
	s.key = key
	return key, nil
}

// storedPaper reads the paper stored with an attempt; NULL is the content order of old attempts.
func storedPaper(c *content.Check, js []byte, attemptID int64) (Paper, error) {
	if len(js) == 0 {
		return contentOrder(c), nil
	}
	var p Paper
	if err := json.Unmarshal(js, &p); err != nil {
		return nil, fmt.Errorf("attempt %s: paper: %w", strconv.FormatInt(attemptID, 10), err)
	}
	return p, nil
}

// SheetQuestion is a question of a paper as the form shows it: the content's question with its
// choices in the paper's order. Questions or choices that have left the content since the paper
// was made are left out; choices added since come last.
type SheetQuestion struct {
	*content.Question
	Choices []*content.Choice
}

// lay lays a paper over the current content.
func (p Paper) lay(c *content.Check) []SheetQuestion {
	var out []SheetQuestion
	for _, pq := range p {
		q := c.Question(pq.Question)
		if q == nil {
			continue
		}
		sq := SheetQuestion{Question: q}
		for _, id := range pq.Choices {
			if ch := q.Choice(id); ch != nil {
				sq.Choices = append(sq.Choices, ch)
			}
		}
		for _, ch := range q.Choices {
			if !slices.Contains(pq.Choices, ch.ID) {
				sq.Choices = append(sq.Choices, ch)
			}
		}
		out = append(out, sq)
	}
	return out
}
