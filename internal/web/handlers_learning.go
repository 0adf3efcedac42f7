package web

import (
	"errors"
	"html/template"
	"net/http"
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
	d := &lessonData{Base: s.base(r, ""), Lesson: l, Done: done}
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
	http.Redirect(w, r, next, http.StatusSeeOther)
}

type checkData struct {
	Base
	P        learning.ModuleProgress
	Check    *content.Check
	Attempts []learning.Attempt
}

// checkPage is the self-check form: one input per choice, named after the question id with the
// choice id as value (radio buttons for single choice, checkboxes for multiple).
func (s *Server) checkPage(w http.ResponseWriter, r *http.Request) {
	d, ok := s.checkData(w, r)
	if !ok {
		return
	}
	s.page(w, r, http.StatusOK, "check", d)
}

func (s *Server) checkData(w http.ResponseWriter, r *http.Request) (*checkData, bool) {
	uid := state(r).user.ID
	p, err := s.learn.ModuleProgress(r.Context(), uid, r.PathValue("module"))
	if err == nil && (p.Module.Check == nil || len(p.Module.Check.Questions) == 0) {
		err = errs.E(errs.NotFound, "this module has no self-check")
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	attempts, err := s.learn.Attempts(r.Context(), uid, p.Module.ID)
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
	Submitted bool // just submitted, rather than a past attempt looked at again
}

// checkSubmit grades the answers on the server, stores the attempt and answers with the feedback
// page at once (200, no redirect), so the result is what the POST returns.
func (s *Server) checkSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errs.Wrap(errs.Invalid, err, i18n.T(state(r).lang, "learning.check.error.form")))
		return
	}
	uid := state(r).user.ID
	res, err := s.learn.SubmitCheck(r.Context(), uid, r.PathValue("module"), r.PostForm)
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

// attemptPage shows the feedback of one of the user's past attempts. Another user's attempt is
// "not found", exactly like one that does not exist.
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
	a, err := s.learn.Attempt(r.Context(), state(r).user.ID, d.P.Module.ID, id)
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
		if res.Issued, err = s.learn.IssuedBy(r.Context(), state(r).user.ID, a.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	d.Title = i18n.T(d.Lang, "learning.result.title") + " – " + d.P.Module.Title.In(d.Lang)
	s.page(w, r, http.StatusOK, "check_result", &resultData{checkData: *d, Result: res, Submitted: submitted})
}

// notice remembers a confirmation for the next page.
func (s *Server) notice(w http.ResponseWriter, r *http.Request, key string) { s.setNotice(w, r, key) }

// learningNotice takes the pending confirmation.
func (s *Server) learningNotice(w http.ResponseWriter, r *http.Request) string {
	return s.takeNotice(w, r)
}
