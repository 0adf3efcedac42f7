package web

import (
	"net/http"
	"strconv"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/paths"
	"saferspaces/internal/report"
)

// --- a learner's detail (trainers of the cohort, admins) ---

type learnerData struct {
	Base
	D            *report.Detail
	CohortLink   string
	LastReminded string
}

func (s *Server) trainerLearner(w http.ResponseWriter, r *http.Request) {
	id, ok := cohortID(r)
	user, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if !ok || err != nil || user <= 0 {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	u := state(r).user
	d, err := s.Reports.LearnerDetail(r.Context(), id, user, u.ID, u.Role)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := s.base(r, "")
	b.Title = d.Learner.Name + " – " + d.Cohort.Name
	data := &learnerData{Base: b, D: d, CohortLink: paths.Cohort(id)}
	last, err := s.Remind.LastReminded(r.Context(), []int64{user})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t, ok := last[user]; ok {
		data.LastReminded = i18n.DateTime(b.Lang, t, s.loc)
	}
	s.page(w, r, http.StatusOK, "trainer_learner", data)
}

// ModuleTitle names an attempt's or certificate's module in the reader's language.
func (d *learnerData) ModuleTitle(id string) string {
	if p := d.D.ModuleTitle(id); p != nil {
		return p.Module.Title.In(d.Lang)
	}
	if id == learning.ProgrammeID {
		return i18n.T(d.Lang, "certificate.programme_title")
	}
	return id
}

// --- item analysis ---

type questionsData struct {
	Base
	Cohort     *account.Cohort
	Modules    []learning.ModuleItems
	SinceStart bool
	CohortLink string
}

func (s *Server) trainerQuestions(w http.ResponseWriter, r *http.Request) {
	id, ok := cohortID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	u := state(r).user
	since := r.URL.Query().Get("since") == "start"
	c, items, err := s.Reports.Questions(r.Context(), id, u.ID, u.Role, since)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := s.base(r, "cycles.questions.title")
	b.Title = c.Name + " – " + b.Title
	s.page(w, r, http.StatusOK, "trainer_questions", &questionsData{Base: b, Cohort: c, Modules: items,
		SinceStart: since && !c.StartsAt.IsZero(), CohortLink: paths.Cohort(id)})
}

// --- reminders and messages ---

func (s *Server) trainerRemind(w http.ResponseWriter, r *http.Request) {
	id, ok := cohortID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	res, err := s.Remind.Remind(r.Context(), s.actor(r), id, state(r).user.Role)
	if err != nil {
		if errs.Is(err, errs.Conflict) {
			s.cohortPage(w, r, http.StatusConflict, i18n.T(state(r).lang, "cycles.error.archived"), "", "")
			return
		}
		s.fail(w, r, err)
		return
	}
	s.kickMail()
	s.setNoticeCount(w, r, "cycles.remind.done", res.Sent, "Recent", res.Recent, "OptedOut", res.OptedOut)
	http.Redirect(w, r, paths.Cohort(id), http.StatusSeeOther)
}

func (s *Server) trainerMessage(w http.ResponseWriter, r *http.Request) {
	id, ok := cohortID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	u := state(r).user
	if !s.allow(w, r, func() (bool, time.Duration) { return s.limits.messageByUser.Allow(strconv.FormatInt(u.ID, 10)) }) {
		return
	}
	text := r.PostFormValue("message")
	n, err := s.Remind.Message(r.Context(), s.actor(r), u.Name, id, u.Role, text)
	lang := state(r).lang
	switch {
	case errs.FieldsOf(err).Has("message"):
		s.cohortPage(w, r, http.StatusUnprocessableEntity, "", text, i18n.T(lang, "cycles.message.error"))
		return
	case errs.Is(err, errs.Conflict):
		s.cohortPage(w, r, http.StatusConflict, i18n.T(lang, "cycles.error.archived"), "", "")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.kickMail()
	s.setNoticeCount(w, r, "cycles.message.done", n)
	http.Redirect(w, r, paths.Cohort(id), http.StatusSeeOther)
}

// --- team coverage ---

type coverageData struct {
	Base
	Rows    []report.Coverage
	Levels  []report.Level
	IsAdmin bool
	Total   report.Coverage
}

func (s *Server) trainerCoverage(w http.ResponseWriter, r *http.Request) {
	u := state(r).user
	rows, err := s.Reports.Coverage(r.Context(), u.ID, u.Role)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &coverageData{Base: s.base(r, "cycles.coverage.title"), Rows: rows, Levels: report.Levels(), IsAdmin: u.Role == account.RoleAdmin}
	sum := 0
	for _, c := range rows {
		d.Total.People += c.People
		for i := range c.ByLevel {
			d.Total.ByLevel[i] += c.ByLevel[i]
		}
		sum += c.Percent * c.People
	}
	if d.Total.People > 0 {
		d.Total.Percent = sum / d.Total.People
	}
	s.page(w, r, http.StatusOK, "trainer_coverage", d)
}

// --- registrations a trainer may approve ---

type trainerRegistrationsData struct {
	Base
	Applicants []account.TrainerApplicant
}

func (s *Server) trainerRegistrations(w http.ResponseWriter, r *http.Request) {
	apps, err := s.acc.ApplicantsForTrainer(r.Context(), state(r).user.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := s.base(r, "cycles.registrations.title")
	b.Notice = s.takeNotice(w, r)
	s.page(w, r, http.StatusOK, "trainer_registrations", &trainerRegistrationsData{Base: b, Applicants: apps})
}

func (s *Server) trainerApprove(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	if err := s.acc.TrainerApprove(r.Context(), s.actor(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.kickMail()
	s.setNotice(w, r, "cycles.registrations.approved")
	http.Redirect(w, r, paths.TrainerRegistrations, http.StatusSeeOther)
}

// --- the learner's own switch ---

func (s *Server) accountReminders(w http.ResponseWriter, r *http.Request) {
	off := r.PostFormValue("reminders") != "on"
	if err := s.acc.SetReminders(r.Context(), state(r).user.ID, off); err != nil {
		s.fail(w, r, err)
		return
	}
	key := "cycles.account.reminders.on_saved"
	if off {
		key = "cycles.account.reminders.off_saved"
	}
	s.setNotice(w, r, key)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
