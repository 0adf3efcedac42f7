package learning

import (
	"context"
	"database/sql"
	"time"

	"saferspaces/internal/content"
)

// Learning events are what the learning records (package xapi) are made of. They are handed to
// the Recorder inside the transaction that stores the change, so a record exists if and only if
// its change was committed, and its content is fixed as of that moment.

// EventKind is what happened.
type EventKind int

// Events, in the order one change reports them.
const (
	LessonCompleted    EventKind = iota + 1 // a lesson marked as done for the first time
	CheckAttempted                          // a self-check attempt, passed or failed
	ModuleProgressed                        // a module moved forward without being complete
	ModuleCompleted                         // a module's last unit was done
	ProgrammeCompleted                      // the last module of the programme was completed
)

// Event is one learning event of one learner.
type Event struct {
	Kind   EventKind
	UserID int64
	At     time.Time
	Module *content.Module // nil for ProgrammeCompleted
	Lesson *content.Lesson // LessonCompleted
	// CheckAttempted: the attempt, its score in percent and whether it passed.
	AttemptID int64
	Score     int
	Passed    bool
	Percent   int // ModuleProgressed: the module's progress after the event (learning.Units)
}

// Recorder keeps learning records; package xapi implements it. Record runs in the transaction of
// the change and must write nothing but its own tables.
type Recorder interface {
	Record(ctx context.Context, tx *sql.Tx, events []Event) error
}

// RecordWith makes the service hand every learning event to r.
func (s *Service) RecordWith(r Recorder) { s.recorder = r }

// changes lists the events that one change (a new lesson completion or a new attempt) caused,
// comparing the learner's progress before and after it by the progress rule (Units): the module
// moved forward, or was completed, and the programme was completed. The progress is the
// programme's (modules in content order), computed once by the caller.
func changes(before, after []ModuleProgress, pb, pa Programme, m *content.Module, first []Event) []Event {
	events := first
	var b, a ModuleProgress
	for i := range after {
		if after[i].Module.ID == m.ID {
			b, a = before[i], after[i]
		}
	}
	at := first[0].At
	switch {
	case a.Complete && !b.Complete:
		events = append(events, Event{Kind: ModuleCompleted, UserID: first[0].UserID, At: at, Module: m, Percent: 100})
	case a.UnitsDone > b.UnitsDone:
		events = append(events, Event{Kind: ModuleProgressed, UserID: first[0].UserID, At: at, Module: m, Percent: a.Percent})
	}
	if pa.Complete && !pb.Complete {
		events = append(events, Event{Kind: ProgrammeCompleted, UserID: first[0].UserID, At: at})
	}
	return events
}

// outcome is what one learner's write changes, worked out before its write transaction from the
// records read under the learner's lock (userLocks): the records after it, the progress they
// make and the learning events the change causes. What is computed here is work the shared
// commit (sqlite.DB.GroupTx) does not wait for; the transaction only writes.
type outcome struct {
	userID int64
	after  *records
	mods   []ModuleProgress // in content order
	pr     Programme
	moved  []ModuleProgress // the modules whose percent the change moved
	events []Event          // nil when the change records nothing
}

// outcomeOf computes the outcome of a change from before to after that caused first (nil: no
// event, e.g. a lesson that was done before).
func (s *Service) outcomeOf(userID int64, before, after *records, m *content.Module, first []Event) *outcome {
	o := &outcome{userID: userID, after: after}
	o.mods, o.pr = s.programme(after)
	bmods, bpr := s.programme(before)
	for i, p := range o.mods {
		if p.Percent != bmods[i].Percent {
			o.moved = append(o.moved, p)
		}
	}
	if len(first) > 0 {
		o.events = changes(bmods, o.mods, bpr, o.pr, m, first)
	}
	return o
}

// writeOutcome writes the learner's summary after the change, and the figures of the modules it
// moved: a row that stays as it was is not written (every page written is part of the commit's
// wait for the disk).
func (s *Service) writeOutcome(ctx context.Context, tx *sql.Tx, o *outcome) error {
	return s.writeSummary(ctx, tx, summaryOf(o.userID, o.after, o.mods, o.pr), o.moved)
}

// record hands the events to the recorder, if there is one.
func (s *Service) record(ctx context.Context, tx *sql.Tx, events []Event) error {
	if s.recorder == nil || len(events) == 0 {
		return nil
	}
	return s.recorder.Record(ctx, tx, events)
}
