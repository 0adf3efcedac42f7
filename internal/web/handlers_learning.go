package web

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/paths"
)

// The learning pages. Every handler here runs behind requireUser and works on the signed-in
// user's own records only: ids in the URL name content (module, lesson) or one of the user's own
// attempts, never another user, so there is nothing of anyone else to reach.

type dashboardData struct {
	Base
	Modules      []learning.ModuleProgress
	Left         []learning.ModuleProgress // the modules not complete yet, in content order
	Programme    learning.Programme
	Certificates int
}

// dashboard is "/" for signed-in users: every module with its progress and where to go on.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	uid := state(r).user.ID
	mods, pr, err := s.learn.Dashboard(r.Context(), uid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &dashboardData{Base: s.base(r, "learning.dashboard.title"), Modules: mods, Programme: pr}
	for _, p := range mods {
		if p.Certificate != nil {
			d.Certificates++
		}
		if !p.Complete {
			d.Left = append(d.Left, p)
		}
	}
	if pr.Certificate != nil {
		d.Certificates++
	}
	d.Notice = s.learningNotice(w, r)
	s.page(w, r, http.StatusOK, "dashboard", d)
}

type moduleData struct {
	Base
	P learning.ModuleProgress
}

// modulePage shows a module's objectives, lessons with done marks and the self-check status.
func (s *Server) modulePage(w http.ResponseWriter, r *http.Request) {
	uid := state(r).user.ID
	p, err := s.learn.ModuleProgress(r.Context(), uid, r.PathValue("module"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &moduleData{Base: s.base(r, ""), P: p}
	d.Title = p.Module.Title.In(d.Lang)
	d.Notice = s.learningNotice(w, r)
	s.page(w, r, http.StatusOK, "module", d)
}

type lessonData struct {
	Base
	Lesson   *content.Lesson // its Module, Prev and Next give the breadcrumb and the pager
	Body     template.HTML
	BodyLang i18n.Lang // the language the body is in: the reader's, or a fallback while it is translated
	Done     bool
	P        learning.ModuleProgress // for the module's task list beside the lesson
}

// lessonPage renders a lesson in the user's language and remembers it as the place to continue.
func (s *Server) lessonPage(w http.ResponseWriter, r *http.Request) {
	uid := state(r).user.ID
	l := s.learn.Catalog().Lesson(r.PathValue("module"), r.PathValue("lesson"))
	if l == nil {
		s.fail(w, r, errs.E(errs.NotFound, "lesson not found"))
		return
	}
	// Remembering the position is a convenience: a failure is logged, never shown.
	done, err := s.learn.OpenLesson(r.Context(), uid, l.Module.ID, l.ID)
	switch {
	case errors.Is(err, learning.ErrVisitNotRecorded):
		s.log.Warn("record lesson visit", "err", err)
	case err != nil:
		s.fail(w, r, err)
		return
	}
	p, err := s.learn.ModuleProgress(r.Context(), uid, l.Module.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &lessonData{Base: s.base(r, ""), Lesson: l, Done: done, P: p}
	d.Title = l.Title.In(d.Lang) + " – " + l.Module.Title.In(d.Lang)
	d.BodyLang = l.In(d.Lang)
	d.Body = l.Body[d.BodyLang]
	d.Notice = s.learningNotice(w, r)
	s.page(w, r, http.StatusOK, "lesson", d)
}

// completeLesson marks a lesson done (again, harmlessly, if it already is) and goes on to the
// next lesson, or to the module page after the last one.
func (s *Server) completeLesson(w http.ResponseWriter, r *http.Request) {
	uid := state(r).user.ID
	moduleID, lessonID := r.PathValue("module"), r.PathValue("lesson")
	issued, err := s.learn.CompleteLesson(r.Context(), uid, moduleID, lessonID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, s.afterComplete(w, r, moduleID, lessonID, issued), http.StatusSeeOther)
}

// afterComplete confirms a lesson marked as done and returns where to go on: the next lesson, or
// the module page after the last one.
func (s *Server) afterComplete(w http.ResponseWriter, r *http.Request, moduleID, lessonID string, issued []learning.Certificate) string {
	next := paths.Module(moduleID)
	if l := s.learn.Catalog().Lesson(moduleID, lessonID).Next(); l != nil {
		next = paths.Lesson(moduleID, l.ID)
	}
	if len(issued) > 0 {
		s.kickMail()
		s.notice(w, r, "learning.notice.certificate")
	} else {
		s.notice(w, r, "learning.notice.lesson_done")
	}
	return next
}

type checkData struct {
	Base
	P        learning.ModuleProgress
	Check    *content.Check
	Sheet    *learning.Sheet
	Attempts []learning.Attempt
	Missing  []missingQuestion // a submission came back incomplete: these were not answered
	Restored bool              // the form shows a draft's answers
}

// missingQuestion is a question left unanswered, for the error summary and the fieldset's message.
type missingQuestion struct {
	ID     string
	Number int // on the paper, from 1
}

// Open reports whether the question id is among the missing ones.
func (d *checkData) Open(id string) bool {
	return slices.ContainsFunc(d.Missing, func(m missingQuestion) bool { return m.ID == id })
}

// checkPage is the self-check form: the learner's current paper (questions and choices in the
// attempt's order), one input per choice, named after the question id with the choice id as value
// (radio buttons for single choice, checkboxes for multiple), with the draft's answers ticked.
func (s *Server) checkPage(w http.ResponseWriter, r *http.Request) {
	d, ok := s.checkData(w, r)
	if !ok {
		return
	}
	if err := s.withSheet(r, d); err != nil {
		s.fail(w, r, err)
		return
	}
	d.Restored = !d.Sheet.DraftAt.IsZero()
	s.page(w, r, http.StatusOK, "check", d)
}

func (s *Server) withSheet(r *http.Request, d *checkData) error {
	sh, err := s.learn.Sheet(r.Context(), state(r).user.ID, d.P.Module.ID)
	d.Sheet = sh
	return err
}

// historyShown is how many attempts the history under a self-check lists, newest first: enough
// to see how the last tries went; a long list would push the page's purpose out of sight (a
// trainer sees every attempt).
const historyShown = 10

func (s *Server) checkData(w http.ResponseWriter, r *http.Request) (*checkData, bool) {
	uid := state(r).user.ID
	p, err := s.learn.ModuleProgress(r.Context(), uid, r.PathValue("module"))
	if err == nil && !p.HasCheck {
		err = errs.E(errs.NotFound, "this module has no self-check")
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	attempts, err := s.learn.Attempts(r.Context(), uid, p.Module.ID, historyShown)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	d := &checkData{Base: s.base(r, ""), P: p, Check: p.Module.Check, Attempts: attempts}
	d.Title = i18n.T(d.Lang, "learning.check.title") + " – " + p.Module.Title.In(d.Lang)
	return d, true
}

type resultData struct {
	checkData
	Result    learning.Result
	Feedback  learning.Feedback
	Revisit   []*content.Lesson // lessons that teach the questions answered wrong, in module order
	Next      learning.NextStep // where to go on after a pass
	Submitted bool              // just submitted, rather than a past attempt looked at again
}

// checkSubmit grades the answers on the server, stores the attempt and redirects to its page. A
// submission with unanswered questions is not graded: the form comes back (422) saying which are
// missing, with everything ticked still ticked (the answers are kept as a draft on the server).
func (s *Server) checkSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errs.Wrap(errs.Invalid, err, i18n.T(state(r).lang, "learning.check.error.form")))
		return
	}
	uid := state(r).user.ID
	res, err := s.learn.SubmitCheck(r.Context(), uid, r.PathValue("module"), r.PostForm)
	if fields := errs.FieldsOf(err); fields != nil {
		d, ok := s.checkData(w, r)
		if !ok {
			return
		}
		if err := s.withSheet(r, d); err != nil {
			s.fail(w, r, err)
			return
		}
		for i, q := range d.Sheet.Questions {
			if fields.Has(q.ID) {
				d.Missing = append(d.Missing, missingQuestion{ID: q.ID, Number: i + 1})
			}
		}
		s.page(w, r, http.StatusUnprocessableEntity, "check", d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(res.Issued) > 0 {
		s.kickMail()
	}
	// Post/redirect/get: the feedback lives at the attempt's own address, so reloading it does not
	// submit the answers again.
	http.Redirect(w, r, paths.Attempt(r.PathValue("module"), res.AttemptID)+"?submitted=1", http.StatusSeeOther)
}

// attemptPage shows the feedback of one of the user's past attempts: until the self-check is
// passed only the learner's own choices (learning.Feedback), afterwards the whole key. Another
// user's attempt is "not found", exactly like one that does not exist.
func (s *Server) attemptPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, errs.E(errs.NotFound, "attempt not found"))
		return
	}
	d, ok := s.checkData(w, r)
	if !ok {
		return
	}
	uid := state(r).user.ID
	a, err := s.learn.Attempt(r.Context(), uid, d.P.Module.ID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.learn.Review(a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	submitted := r.URL.Query().Get("submitted") == "1"
	if submitted && res.Passed {
		if res.Issued, err = s.learn.IssuedBy(r.Context(), uid, a.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	rd := &resultData{checkData: *d, Result: res, Feedback: res.Feedback(d.P.Passed), Submitted: submitted}
	for _, q := range rd.Feedback.Questions {
		if !q.Right && q.Lesson != nil && !slices.Contains(rd.Revisit, q.Lesson) {
			rd.Revisit = append(rd.Revisit, q.Lesson)
		}
	}
	slices.SortFunc(rd.Revisit, func(a, b *content.Lesson) int { return a.Index - b.Index })
	if d.P.Passed {
		if rd.Next, err = s.learn.NextAfter(r.Context(), uid, d.P.Module.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	rd.Title = i18n.T(d.Lang, "learning.result.title") + " – " + d.P.Module.Title.In(d.Lang)
	s.page(w, r, http.StatusOK, "check_result", rd)
}

// notice remembers a confirmation for the next page.
func (s *Server) notice(w http.ResponseWriter, r *http.Request, key string) { s.setNotice(w, r, key) }

// learningNotice takes the pending confirmation.
func (s *Server) learningNotice(w http.ResponseWriter, r *http.Request) string {
	return s.takeNotice(w, r)
}

// Current is the attempt a page shows, for marking it in the history; none on the form.
func (d *checkData) Current() int64 { return 0 }

// Current is the attempt the result page shows.
func (d *resultData) Current() int64 { return d.Result.AttemptID }
