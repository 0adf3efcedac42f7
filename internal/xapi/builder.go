package xapi

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/paths"
)

// builder makes statements with the fixed values of the installation.
type builder struct{ f *fixed }

// learnerLang is the learner's language now, i.e. at the event.
func learnerLang(ctx context.Context, tx *sql.Tx, userID int64) (string, error) {
	c, _, err := account.ContactOf(ctx, tx, userID)
	if err != nil {
		return "", fmt.Errorf("learner of a statement: %w", err)
	}
	return i18n.Tag(c.Lang), nil
}

// statement is the statement of one learning event, or nil for an event about content that is
// gone. The id is a name-based UUID of the event (the same key the earlier exports used), so the
// backfill of older progress gives the ids those exports gave.
func (b *builder) statement(ev learning.Event, lang string) *Statement {
	at := ev.At.UTC()
	var st *Statement
	switch ev.Kind {
	case learning.LessonCompleted:
		if ev.Module == nil || ev.Lesson == nil {
			return nil
		}
		st = b.base(fmt.Sprintf("lesson-completed|%d|%s|%s|%d", ev.UserID, ev.Module.ID, ev.Lesson.ID, at.Unix()),
			ev.UserID, VerbCompleted, b.lessonActivity(ev.Module, ev.Lesson), at, lang)
		st.Result = &Result{Completion: ptr(true)}
		st.Context.ContextActivities = b.within(b.parent(ev.Module))
	case learning.CheckAttempted:
		if ev.Module == nil {
			return nil
		}
		verb := VerbFailed
		if ev.Passed {
			verb = VerbPassed
		}
		st = b.base(fmt.Sprintf("attempt|%d|%d", ev.UserID, ev.AttemptID), ev.UserID, verb, b.checkActivity(ev.Module), at, lang)
		// A failed attempt did not complete the self-check (the learner tries again).
		st.Result = &Result{
			Score:      &Score{Scaled: float64(ev.Score) / 100, Raw: ev.Score, Min: 0, Max: 100},
			Success:    ptr(ev.Passed),
			Completion: ptr(ev.Passed),
		}
		st.Context.ContextActivities = b.within(b.parent(ev.Module))
	case learning.ModuleProgressed:
		st = b.base(fmt.Sprintf("module-progressed|%d|%s|%d|%d", ev.UserID, ev.Module.ID, ev.Percent, at.Unix()),
			ev.UserID, VerbProgressed, b.moduleActivity(ev.Module), at, lang)
		st.Result = &Result{Completion: ptr(false), Extensions: map[string]any{ExtProgress: ev.Percent}}
		st.Context.ContextActivities = b.within(b.programmeRef())
	case learning.ModuleCompleted:
		st = b.base(fmt.Sprintf("module-completed|%d|%s|%d", ev.UserID, ev.Module.ID, at.Unix()),
			ev.UserID, VerbCompleted, b.moduleActivity(ev.Module), at, lang)
		st.Result = &Result{Completion: ptr(true), Extensions: map[string]any{ExtProgress: 100}}
		st.Context.ContextActivities = b.within(b.programmeRef())
	case learning.ProgrammeCompleted:
		st = b.base(fmt.Sprintf("programme-completed|%d|%d", ev.UserID, at.Unix()),
			ev.UserID, VerbCompleted, b.programmeActivity(), at, lang)
		st.Result = &Result{Completion: ptr(true)}
	default:
		return nil
	}
	return st
}

func (b *builder) base(key string, userID int64, verb string, obj Activity, at time.Time, lang string) *Statement {
	return &Statement{
		ID:        uuid5(b.f.ns, key),
		Actor:     b.actor(userID),
		Verb:      Verb{ID: verb, Display: languageMap(func(l i18n.Lang) string { return i18n.T(l, verbKeys[verb]) })},
		Object:    obj,
		Context:   &Context{Platform: Platform, Language: lang},
		Timestamp: at.Format(time.RFC3339),
		Version:   "1.0.3",
	}
}

// voiding is the statement that voids the statement id (xAPI 1.0.3, 2.3.2), made by the platform.
func (b *builder) voiding(id string, at time.Time) *Statement {
	return &Statement{
		ID:        uuid5(b.f.ns, "void|"+id),
		Actor:     Actor{ObjectType: "Agent", Account: &Account{HomePage: b.f.home, Name: Platform}},
		Verb:      Verb{ID: VerbVoided, Display: languageMap(func(l i18n.Lang) string { return i18n.T(l, "xapi.verb.voided") })},
		Object:    Activity{ObjectType: "StatementRef", ID: id},
		Timestamp: at.UTC().Format(time.RFC3339),
		Version:   "1.0.3",
	}
}

// actor is the learner as an account on the platform. The name is a name-based UUID of the user
// id in the installation's namespace: stable, and without the namespace (which never leaves the
// database) it cannot be traced back to a user id, let alone to a person.
func (b *builder) actor(userID int64) Actor {
	return Actor{ObjectType: "Agent", Account: &Account{HomePage: b.f.home, Name: b.actorName(userID)}}
}

func (b *builder) actorName(userID int64) string {
	return uuid5(b.f.ns, fmt.Sprintf("actor|%d", userID))
}

func (b *builder) moduleActivity(m *content.Module) Activity {
	return activity(b.f.home+paths.Module(m.ID), TypeModule, m.Title)
}

func (b *builder) lessonActivity(m *content.Module, l *content.Lesson) Activity {
	return activity(b.f.home+paths.Lesson(m.ID, l.ID), TypeLesson, l.Title)
}

func (b *builder) checkActivity(m *content.Module) Activity {
	name := content.Text{}
	for _, l := range i18n.Languages() {
		name[l] = i18n.T(l, "xapi.check_name", "Module", m.Title.In(l))
	}
	return activity(b.f.home+paths.Check(m.ID), TypeAssessment, name)
}

// programmeActivity is the whole programme, whose page is the learner's dashboard.
func (b *builder) programmeActivity() Activity {
	name := content.Text{}
	for _, l := range i18n.Languages() {
		name[l] = i18n.T(l, "certificate.programme_title")
	}
	return activity(b.f.home+"/", TypeCourse, name)
}

func (b *builder) parent(m *content.Module) Activity {
	return Activity{ObjectType: "Activity", ID: b.f.home + paths.Module(m.ID)}
}

func (b *builder) programmeRef() Activity {
	return Activity{ObjectType: "Activity", ID: b.f.home + "/"}
}

// within is the context of a statement: its parent, and the programme it belongs to.
func (b *builder) within(parent Activity) *ContextActivities {
	ca := &ContextActivities{Parent: []Activity{parent}}
	if parent.ID != b.f.home+"/" {
		ca.Grouping = []Activity{b.programmeRef()}
	}
	return ca
}

func activity(id, typ string, name content.Text) Activity {
	return Activity{ObjectType: "Activity", ID: id,
		Definition: &Definition{Name: languageMap(func(l i18n.Lang) string { return name[l] }), Type: typ}}
}

// languageMap is an xAPI language map of every language that has a text.
func languageMap(text func(i18n.Lang) string) map[string]string {
	m := map[string]string{}
	for _, l := range i18n.Languages() {
		if s := text(l); s != "" {
			m[i18n.Tag(l)] = s
		}
	}
	return m
}

// verbKeys are the catalog entries of the verbs' display names.
var verbKeys = map[string]string{
	VerbCompleted:  "xapi.verb.completed",
	VerbPassed:     "xapi.verb.passed",
	VerbFailed:     "xapi.verb.failed",
	VerbProgressed: "xapi.verb.progressed",
}

func ptr[T any](v T) *T { return &v }
