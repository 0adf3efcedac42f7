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
// comparing the learner's records before and after it by the progress rule (Units): the module
// moved forward, or was completed, and the programme was completed.
func (s *Service) changes(before, after *records, m *content.Module, first []Event) []Event {
	events := first
	b, a := progress(before, m), progress(after, m)
	at := first[0].At
	switch {
	case a.Complete && !b.Complete:
		events = append(events, Event{Kind: ModuleCompleted, UserID: first[0].UserID, At: at, Module: m, Percent: 100})
	case a.UnitsDone > b.UnitsDone:
		events = append(events, Event{Kind: ModuleProgressed, UserID: first[0].UserID, At: at, Module: m, Percent: a.Percent})
	}
	_, pb := s.programme(before)
	_, pa := s.programme(after)
	if pa.Complete && !pb.Complete {
		events = append(events, Event{Kind: ProgrammeCompleted, UserID: first[0].UserID, At: at})
	}
	return events
}

// record hands the events to the recorder, if there is one.
func (s *Service) record(ctx context.Context, tx *sql.Tx, events []Event) error {
	if s.recorder == nil || len(events) == 0 {
		return nil
	}
	return s.recorder.Record(ctx, tx, events)
}
