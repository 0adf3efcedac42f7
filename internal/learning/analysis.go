package learning

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/sqlite"
)

// AttemptHistory is every self-check attempt of a learner, newest first, without the answers.
func (s *Service) AttemptHistory(ctx context.Context, userID int64) ([]Attempt, error) {
	var out []Attempt
	err := sqlite.Each(ctx, s.db.R, `SELECT id, module_id, score, passed, submitted_at FROM check_attempts
		WHERE user_id = ? ORDER BY submitted_at DESC, id DESC`, []any{userID}, func(scan func(...any) error) error {
		var a Attempt
		var at int64
		if err := scan(&a.ID, &a.ModuleID, &a.Score, &a.Passed, &at); err != nil {
			return err
		}
		a.SubmittedAt = sqlite.Time(at)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	return out, nil
}

// ModuleItems is the item analysis of one module's self-check over a group of learners.
type ModuleItems struct {
	Module    *content.Module
	Attempts  int // attempts made by the group
	Questions []QuestionItems
}

// QuestionItems is how a group answered one question: of the attempts that showed it, how many
// got it right and which wrong choice was ticked most.
type QuestionItems struct {
	Question   *content.Question
	Shown      int // attempts that showed the question
	Right      int
	Unanswered int             // shown, nothing ticked
	Picks      map[string]int  // choice id → attempts that ticked it
	TopWrong   *content.Choice // the wrong choice ticked most; nil if none was
	TopWrongN  int
}

// RightPercent is Right of Shown, rounded down; 0 when never shown.
func (q QuestionItems) RightPercent() int {
	if q.Shown == 0 {
		return 0
	}
	return q.Right * 100 / q.Shown
}

// ItemAnalysis grades every stored attempt of the learners (made at or after since, if not zero)
// question by question with the one grading rule (content.Question.Right), per module in content
// order and per question in the check's order. A question counts only in the attempts that showed
// it: the paper stored with the attempt names its questions; an attempt from before papers showed
// every question of the pool. The attempts are streamed, one row at a time.
func (s *Service) ItemAnalysis(ctx context.Context, userIDs []int64, since time.Time) ([]ModuleItems, error) {
	var out []ModuleItems
	index := map[string]int{}
	for _, m := range s.cat.Modules {
		if !m.HasCheck() {
			continue
		}
		mi := ModuleItems{Module: m}
		for _, q := range m.Check.Questions {
			mi.Questions = append(mi.Questions, QuestionItems{Question: q, Picks: map[string]int{}})
		}
		index[m.ID] = len(out)
		out = append(out, mi)
	}
	if len(userIDs) == 0 {
		return out, nil
	}
	var from int64
	if !since.IsZero() {
		from = since.Unix()
	}
	where, arg := userSet("user_id", userIDs)
	err := sqlite.Each(ctx, s.db.R, `SELECT module_id, answers, shown FROM check_attempts WHERE `+where+` AND submitted_at >= ?`,
		[]any{arg, from}, func(scan func(...any) error) error {
			var moduleID, js string
			var shownJS []byte
			if err := scan(&moduleID, &js, &shownJS); err != nil {
				return err
			}
			i, ok := index[moduleID]
			if !ok {
				return nil // a module that left the content
			}
			var answers map[string][]string
			if err := json.Unmarshal([]byte(js), &answers); err != nil {
				return nil // an unreadable attempt is left out rather than failing the page
			}
			var shown map[string]bool // nil: every question was shown
			if len(shownJS) > 0 {
				var paper Paper
				if err := json.Unmarshal(shownJS, &paper); err != nil {
					return nil
				}
				shown = map[string]bool{}
				for _, q := range paper.Questions() {
					shown[q] = true
				}
			}
			mi := &out[i]
			mi.Attempts++
			for j := range mi.Questions {
				qi := &mi.Questions[j]
				chosen := answers[qi.Question.ID]
				if shown != nil && !shown[qi.Question.ID] {
					continue
				}
				qi.Shown++
				if len(chosen) == 0 {
					qi.Unanswered++
				}
				if qi.Question.Right(chosen) {
					qi.Right++
				}
				for _, c := range slices.Compact(slices.Sorted(slices.Values(chosen))) {
					if qi.Question.Choice(c) != nil {
						qi.Picks[c]++
					}
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("item analysis: %w", err)
	}
	for i := range out {
		for j := range out[i].Questions {
			qi := &out[i].Questions[j]
			for _, c := range qi.Question.Choices {
				if !c.Correct && qi.Picks[c.ID] > qi.TopWrongN {
					qi.TopWrong, qi.TopWrongN = c, qi.Picks[c.ID]
				}
			}
		}
	}
	return out, nil
}

// Completions counts the learners' module completions (a module certificate is issued in the
// transaction that completes the module) at or after since, per quarter of an hour — a unit every
// time zone's days are made of — for the completions timeline. Modules that left the content and
// the programme certificate are not counted.
func (s *Service) Completions(ctx context.Context, userIDs []int64, since time.Time) ([]Count, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	var from int64
	if !since.IsZero() {
		from = since.Unix()
	}
	mods := make([]string, len(s.cat.Modules))
	for i, m := range s.cat.Modules {
		mods[i] = m.ID
	}
	mjs, _ := json.Marshal(mods)
	where, arg := userSet("user_id", userIDs)
	var out []Count
	err := sqlite.Each(ctx, s.db.R, `SELECT issued_at / 900 * 900 AS q, count(*) FROM certificates WHERE `+where+`
		AND issued_at >= ? AND module_id IN (SELECT value FROM json_each(?)) GROUP BY q ORDER BY q`,
		[]any{arg, from, string(mjs)}, func(scan func(...any) error) error {
			var at int64
			var c Count
			if err := scan(&at, &c.N); err != nil {
				return err
			}
			c.At = sqlite.Time(at)
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("count completions: %w", err)
	}
	return out, nil
}

// Count is a number of events at a time.
type Count struct {
	At time.Time
	N  int
}
