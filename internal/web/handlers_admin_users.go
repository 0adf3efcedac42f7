package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
)

var statuses = []account.Status{account.StatusPending, account.StatusApproved, account.StatusRejected, account.StatusDisabled, account.StatusErased}

// --- user list ---

type usersData struct {
	adminBase
	Q        string
	Role     account.Role
	Status   account.Status
	CohortID int64
	Roles    []account.Role
	Statuses []account.Status
	Cohorts  []account.CohortSummary
	Users    []account.User
	Pager    pager
}

const usersPage = 50

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	d := &usersData{adminBase: s.adminBase(w, r, "admin.users.title", "users"), Roles: account.Roles(), Statuses: statuses,
		Q: strings.TrimSpace(qv.Get("q"))}
	// Unknown filter values are ignored rather than refused: they come from a URL someone may have edited.
	if r := account.Role(qv.Get("role")); r.Valid() {
		d.Role = r
	}
	if st := account.Status(qv.Get("status")); slices.Contains(statuses, st) {
		d.Status = st
	}
	d.CohortID, _ = optionalID(qv.Get("cohort"))
	d.Q = firstRunes(d.Q, 200)
	query := account.UserQuery{Text: d.Q, Role: d.Role, Status: d.Status, CohortID: d.CohortID, Limit: 1}
	_, total, err := s.acc.SearchUsers(r.Context(), query)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Pager, query.Offset = newPager(r, total, usersPage)
	query.Limit = usersPage
	if d.Users, _, err = s.acc.SearchUsers(r.Context(), query); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Cohorts, err = s.acc.CohortOverview(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "admin_users", d)
}

// --- one user ---

type userData struct {
	adminBase
	U           *account.User
	Self        bool // the admin is looking at their own account
	Acceptances []account.AcceptanceRecord
	Cohorts     []account.CohortSummary
	Leads       []account.CohortSummary // cohorts this user leads
	Roles       []account.Role
	Factor      account.SecondFactor
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request, status int, id int64, errMsg string) {
	ctx := r.Context()
	u, err := s.acc.UserByID(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &userData{adminBase: s.adminBase(w, r, "admin.user.title", "users"), U: u, Self: u.ID == state(r).user.ID, Roles: account.Roles()}
	d.Error = errMsg
	d.Title = u.Name + " – " + d.Title // each user's page has a title of its own (WCAG 2.4.2)
	if d.Factor, err = s.acc.SecondFactorOf(ctx, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Acceptances, err = s.acc.Acceptances(ctx, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Cohorts, err = s.acc.CohortOverview(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range d.Cohorts {
		if slices.ContainsFunc(c.Leaders, func(p account.Person) bool { return p.ID == id }) {
			d.Leads = append(d.Leads, c)
		}
	}
	s.page(w, r, status, "admin_user", d)
}

func (s *Server) adminUser(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.pathID(w, r); ok {
		s.userPage(w, r, http.StatusOK, id, "")
	}
}

// userAction runs one admin action on the user in the path: 303 back to the user's page with a
// notice, the page again with the reason if it was refused, 404 for an unknown user.
func (s *Server) userAction(notice string, do func(ctx context.Context, act audit.Actor, id int64, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.pathID(w, r)
		if !ok {
			return
		}
		if err := do(r.Context(), s.actor(r), id, r); err != nil {
			s.refuse(w, r, err, func(status int, msg string) { s.userPage(w, r, status, id, msg) })
			return
		}
		if notice == "erased" {
			s.done(w, r, "/admin/users", notice)
			return
		}
		s.done(w, r, "/admin/users/"+strconv.FormatInt(id, 10), notice)
	}
}

func (s *Server) adminSetRole() http.HandlerFunc {
	return s.userAction("role", func(ctx context.Context, act audit.Actor, id int64, r *http.Request) error {
		return s.acc.SetRole(ctx, act, id, account.Role(r.PostFormValue("role")))
	})
}

func (s *Server) adminDisable() http.HandlerFunc {
	return s.userAction("disabled", func(ctx context.Context, act audit.Actor, id int64, r *http.Request) error {
		return s.acc.Disable(ctx, act, id)
	})
}

func (s *Server) adminEnable() http.HandlerFunc {
	return s.userAction("enabled", func(ctx context.Context, act audit.Actor, id int64, r *http.Request) error {
		return s.acc.Enable(ctx, act, id)
	})
}

func (s *Server) adminResend() http.HandlerFunc {
	return s.userAction("resent", func(ctx context.Context, act audit.Actor, id int64, r *http.Request) error {
		return s.acc.ResendCredential(ctx, act, id)
	})
}

// adminResetFactor removes a user's second factor (lost phone and codes); they are told by mail.
func (s *Server) adminResetFactor() http.HandlerFunc {
	return s.userAction("factor_reset", func(ctx context.Context, act audit.Actor, id int64, r *http.Request) error {
		return s.acc.ResetSecondFactor(ctx, act, id)
	})
}

func (s *Server) adminSetCohort() http.HandlerFunc {
	return s.userAction("cohort", func(ctx context.Context, act audit.Actor, id int64, r *http.Request) error {
		cohort, ok := s.cohortField(r, r.PostFormValue("cohort"))
		if !ok {
			return account.ErrNoSuchCohort
		}
		return s.acc.SetUserCohort(ctx, act, id, cohort)
	})
}

// errNotConfirmed: erasing cannot be undone, so the form asks for an explicit tick.
var errNotConfirmed = errs.E(errs.Invalid, "erasure not confirmed")

func (s *Server) adminErase() http.HandlerFunc {
	return s.userAction("erased", func(ctx context.Context, act audit.Actor, id int64, r *http.Request) error {
		if r.PostFormValue("confirm") != "yes" {
			if _, err := s.acc.UserByID(ctx, id); err != nil {
				return err
			}
			return errNotConfirmed
		}
		return s.acc.Erase(ctx, act, id)
	})
}

// --- cohorts ---

// cohortForm is the new-cohort form as sent; its rules are account.CreateCohort's.
type cohortForm struct{ Name, Code string }

type cohortsData struct {
	adminBase
	Cohorts []account.CohortSummary
	Leaders []account.Person
	Form    cohortForm
	Errors  formErrors
}

func (s *Server) cohortsPage(w http.ResponseWriter, r *http.Request, status int, form cohortForm, fe formErrors, errMsg string) {
	d := &cohortsData{adminBase: s.adminBase(w, r, "admin.cohorts.title", "cohorts"), Form: form, Errors: fe}
	d.Error = errMsg
	var err error
	if d.Cohorts, err = s.acc.CohortOverview(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Leaders, err = s.acc.Leaders(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, status, "admin_cohorts", d)
}

func (s *Server) adminCohorts(w http.ResponseWriter, r *http.Request) {
	s.cohortsPage(w, r, http.StatusOK, cohortForm{}, formErrors{}, "")
}

func (s *Server) adminCreateCohort(w http.ResponseWriter, r *http.Request) {
	lang := state(r).lang
	f := cohortForm{Name: strings.TrimSpace(r.PostFormValue("name")), Code: strings.TrimSpace(r.PostFormValue("code"))}
	if _, err := s.acc.CreateCohort(r.Context(), s.actor(r), f.Name, f.Code); err != nil {
		switch errs.KindOf(err) {
		case errs.Conflict:
			var fe formErrors
			fe.add("name", i18n.T(lang, "admin.cohorts.error.taken"))
			s.cohortsPage(w, r, http.StatusConflict, f, fe, "")
		case errs.Invalid:
			s.cohortsPage(w, r, http.StatusUnprocessableEntity, f, s.fieldErrors(lang, "admin.cohorts.error", err), "")
		default:
			s.fail(w, r, err)
		}
		return
	}
	s.done(w, r, "/admin/cohorts", "cohort_created")
}

func (s *Server) adminAddTrainer(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	trainer, ok := optionalID(r.PostFormValue("user"))
	if !ok || trainer == 0 {
		s.cohortsPage(w, r, http.StatusUnprocessableEntity, cohortForm{}, formErrors{}, i18n.T(state(r).lang, "admin.error.not_leader"))
		return
	}
	if err := s.acc.AddCohortTrainer(r.Context(), s.actor(r), id, trainer); err != nil {
		s.refuse(w, r, err, func(status int, msg string) { s.cohortsPage(w, r, status, cohortForm{}, formErrors{}, msg) })
		return
	}
	s.done(w, r, "/admin/cohorts", "trainer_added")
}
