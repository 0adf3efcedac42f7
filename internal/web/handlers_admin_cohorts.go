package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/paths"
)

// --- cohort list and creation ---

// cohortForm is the cohort form as sent; its rules are account.CohortInput's. Dates are the
// HTML date inputs' YYYY-MM-DD, days of the operator's zone.
type cohortForm struct {
	Name, Code, Description, Starts, Due, Domains string
	TrainersApprove, AutoRemind                   bool
}

// input turns the form into the domain's input; a date that is not a date is a field problem.
func (f cohortForm) input(loc *time.Location) (account.CohortInput, errs.Fields) {
	in := account.CohortInput{Name: f.Name, Code: f.Code, Description: f.Description,
		TrainersApprove: f.TrainersApprove, AutoRemind: f.AutoRemind}
	var bad errs.Fields
	parse := func(field, v string, endOfDay bool) time.Time {
		if v = strings.TrimSpace(v); v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil || t.Year() < 2000 || t.Year() > 2100 {
			bad.Add(field, "date", "is not a date")
			return time.Time{}
		}
		if endOfDay {
			// Due on a day means by the end of that day.
			t = t.AddDate(0, 0, 1).Add(-time.Second)
		}
		return t
	}
	in.StartsAt = parse("starts", f.Starts, false)
	in.DueAt = parse("due", f.Due, true)
	return in, bad
}

func formFromCohort(c *account.Cohort, domains []string, loc *time.Location) cohortForm {
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02")
	}
	return cohortForm{Name: c.Name, Code: c.Code, Description: c.Description, Starts: day(c.StartsAt), Due: day(c.DueAt),
		TrainersApprove: c.TrainersApprove, AutoRemind: c.AutoRemind, Domains: strings.Join(domains, "\n")}
}

func readCohortForm(r *http.Request) cohortForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return cohortForm{Name: v("name"), Code: v("code"), Description: r.PostFormValue("description"), Starts: v("starts"),
		Due: v("due"), Domains: r.PostFormValue("domains"), TrainersApprove: v("trainers_approve") == "yes",
		AutoRemind: v("auto_remind") == "yes"}
}

type cohortsData struct {
	adminBase
	Cohorts  []account.CohortSummary
	Archived bool
	Form     cohortForm
	Errors   formErrors
}

func (s *Server) cohortsPage(w http.ResponseWriter, r *http.Request, status int, form cohortForm, fe formErrors, errMsg string) {
	d := &cohortsData{adminBase: s.adminBase(w, r, "admin.cohorts.title", "cohorts"), Form: form, Errors: fe,
		Archived: r.URL.Query().Get("archived") == "1"}
	d.Error = errMsg
	var err error
	if d.Cohorts, err = s.acc.CohortOverview(r.Context(), d.Archived); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, status, "admin_cohorts", d)
}

func (s *Server) adminCohorts(w http.ResponseWriter, r *http.Request) {
	s.cohortsPage(w, r, http.StatusOK, cohortForm{}, formErrors{}, "")
}

// cohortFormErrors shows the cohort form's field problems in the admin's language.
func (s *Server) cohortFormErrors(lang i18n.Lang, err error) (int, formErrors) {
	var fe formErrors
	for _, f := range errs.FieldsOf(err) {
		key := "admin.cohorts.error." + f.Name
		if f.Code == "taken" {
			key = "cycles.cohort.error.taken_" + f.Name
		} else if !i18n.Has(lang, key) {
			key = "cycles.cohort.error." + f.Name
		}
		fe.add(f.Name, i18n.T(lang, key))
	}
	if !fe.Any() {
		fe.add("name", i18n.T(lang, "admin.error.invalid"))
	}
	if errs.Is(err, errs.Conflict) {
		return http.StatusConflict, fe
	}
	return http.StatusUnprocessableEntity, fe
}

func (s *Server) adminCreateCohort(w http.ResponseWriter, r *http.Request) {
	lang := state(r).lang
	f := readCohortForm(r)
	in, bad := f.input(s.loc)
	var err error
	if bad != nil {
		err = bad.Err("cohort")
	} else {
		_, err = s.acc.CreateCycle(r.Context(), s.actor(r), in)
	}
	if err != nil {
		if k := errs.KindOf(err); k != errs.Conflict && k != errs.Invalid {
			s.fail(w, r, err)
			return
		}
		status, fe := s.cohortFormErrors(lang, err)
		s.cohortsPage(w, r, status, f, fe, "")
		return
	}
	s.done(w, r, paths.AdminCohorts, "cohort_created")
}

// --- one cohort ---

type cohortData struct {
	adminBase
	C       *account.CohortSummary
	Members []account.Member
	Leaders []account.Person
	Form    cohortForm
	Errors  formErrors
}

func (s *Server) cohortPageAdmin(w http.ResponseWriter, r *http.Request, status int, id int64, form *cohortForm, fe formErrors, errMsg string) {
	c, members, err := s.acc.CohortDetail(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &cohortData{adminBase: s.adminBase(w, r, "admin.cohorts.title", "cohorts"), C: c, Members: members, Errors: fe}
	d.Title = c.Name + " – " + d.Title
	d.Error = errMsg
	if form != nil {
		d.Form = *form
	} else {
		d.Form = formFromCohort(&c.Cohort, c.Domains, s.loc)
	}
	if d.Leaders, err = s.acc.Leaders(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, status, "admin_cohort", d)
}

func (s *Server) adminCohort(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.pathID(w, r); ok {
		s.cohortPageAdmin(w, r, http.StatusOK, id, nil, formErrors{}, "")
	}
}

// cohortAction runs one admin action on the cohort in the path: 303 back to its page with a
// notice, the page again with the reason if it was refused (an archived cohort is read-only),
// 404 for an unknown cohort or person.
func (s *Server) cohortAction(notice string, do func(r *http.Request, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.pathID(w, r)
		if !ok {
			return
		}
		if err := do(r, id); err != nil {
			if errors.Is(err, account.ErrArchived) {
				s.cohortPageAdmin(w, r, http.StatusConflict, id, nil, formErrors{}, i18n.T(state(r).lang, "cycles.error.archived"))
				return
			}
			s.refuse(w, r, err, func(status int, msg string) { s.cohortPageAdmin(w, r, status, id, nil, formErrors{}, msg) })
			return
		}
		s.done(w, r, paths.AdminCohort(id), notice)
	}
}

func (s *Server) adminUpdateCohort(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	lang := state(r).lang
	f := readCohortForm(r)
	in, bad := f.input(s.loc)
	var err error
	if bad != nil {
		err = bad.Err("cohort")
	} else if err = s.acc.UpdateCohort(r.Context(), s.actor(r), id, in); err == nil {
		err = s.acc.SetCohortDomains(r.Context(), s.actor(r), id, strings.FieldsFunc(f.Domains, func(r rune) bool {
			return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' || r == '\t'
		}))
	}
	switch {
	case err == nil:
		s.done(w, r, paths.AdminCohort(id), "cohort_updated")
	case errs.Is(err, errs.NotFound):
		s.errorPage(w, r, http.StatusNotFound)
	case errors.Is(err, account.ErrArchived):
		s.cohortPageAdmin(w, r, http.StatusConflict, id, nil, formErrors{}, i18n.T(lang, "cycles.error.archived"))
	case errs.FieldsOf(err) != nil:
		status, fe := s.cohortFormErrors(lang, err)
		s.cohortPageAdmin(w, r, status, id, &f, fe, "")
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) adminArchiveCohort(w http.ResponseWriter, r *http.Request) {
	s.cohortAction("cohort_archived", func(r *http.Request, id int64) error {
		return s.acc.ArchiveCohort(r.Context(), s.actor(r), id, true)
	})(w, r)
}

func (s *Server) adminRestoreCohort(w http.ResponseWriter, r *http.Request) {
	s.cohortAction("cohort_restored", func(r *http.Request, id int64) error {
		return s.acc.ArchiveCohort(r.Context(), s.actor(r), id, false)
	})(w, r)
}

func (s *Server) adminAddTrainer(w http.ResponseWriter, r *http.Request) {
	s.cohortAction("trainer_added", func(r *http.Request, id int64) error {
		trainer, ok := optionalID(r.PostFormValue("user"))
		if !ok || trainer == 0 {
			return account.ErrNotALeader
		}
		return s.acc.AddCohortTrainer(r.Context(), s.actor(r), id, trainer)
	})(w, r)
}

func (s *Server) adminAddMember(w http.ResponseWriter, r *http.Request) {
	s.cohortAction("member_added", func(r *http.Request, id int64) error {
		u, err := s.acc.UserByEmail(r.Context(), r.PostFormValue("email"))
		if err != nil || u.Status == account.StatusErased {
			if _, cerr := s.acc.CohortByID(r.Context(), id); cerr != nil {
				return cerr
			}
			return errNoSuchPerson
		}
		return s.acc.AddMember(r.Context(), s.actor(r), id, u.ID)
	})(w, r)
}

// errNoSuchPerson: the address typed on a cohort's page belongs to nobody.
var errNoSuchPerson = errs.E(errs.Invalid, "no account with this e-mail address")

// removeUser reads the {user} of a remove URL.
func removeUser(r *http.Request) (int64, error) {
	u, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil || u <= 0 {
		return 0, errs.E(errs.NotFound, "user not found")
	}
	return u, nil
}

func (s *Server) adminRemoveMember(w http.ResponseWriter, r *http.Request) {
	s.cohortAction("member_removed", func(r *http.Request, id int64) error {
		u, err := removeUser(r)
		if err != nil {
			return err
		}
		return s.acc.RemoveMember(r.Context(), s.actor(r), id, u)
	})(w, r)
}

func (s *Server) adminRemoveTrainer(w http.ResponseWriter, r *http.Request) {
	s.cohortAction("trainer_removed", func(r *http.Request, id int64) error {
		u, err := removeUser(r)
		if err != nil {
			return err
		}
		return s.acc.RemoveCohortTrainer(r.Context(), s.actor(r), id, u)
	})(w, r)
}

// --- bulk approval ---

func (s *Server) adminBulkApprove(w http.ResponseWriter, r *http.Request) {
	lang := state(r).lang
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest)
		return
	}
	var ids []int64
	for _, v := range r.PostForm["ids"] {
		id, ok := optionalID(v)
		if !ok || id == 0 {
			s.registrationsPage(w, r, http.StatusUnprocessableEntity, 0, i18n.T(lang, "cycles.bulk.error.none"), "")
			return
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		s.registrationsPage(w, r, http.StatusUnprocessableEntity, 0, i18n.T(lang, "cycles.bulk.error.none"), "")
		return
	}
	cohort, ok := s.cohortField(r, r.PostFormValue("cohort"))
	if !ok {
		s.registrationsPage(w, r, http.StatusUnprocessableEntity, 0, i18n.T(lang, "admin.error.no_cohort"), "")
		return
	}
	if err := s.acc.BulkApprove(r.Context(), s.actor(r), ids, cohort); err != nil {
		if errs.Is(err, errs.NotFound) {
			s.registrationsPage(w, r, http.StatusConflict, 0, i18n.T(lang, "admin.error.status"), "")
			return
		}
		s.registrationRefused(w, r, 0, err, "")
		return
	}
	s.kickMail()
	s.setNoticeCount(w, r, "cycles.bulk.done", len(ids))
	http.Redirect(w, r, paths.Registrations, http.StatusSeeOther)
}
