package web

import (
	"net/http"
	"time"

	"saferspaces/internal/mail"
)

// ActiveDays is how far back the admin overview counts a learner as active.
const activeDays = 30

type adminHomeData struct {
	adminBase
	Pending      int // registrations waiting for a decision
	Active       int // people with learning activity in the last activeDays days
	ActiveDays   int
	Modules      int // module certificates issued this month
	Programmes   int // programme certificates issued this month
	Month        time.Time
	MailFailed   int // e-mails that could not be delivered
	MailWaiting  int // e-mails waiting for (another) delivery attempt
	HasFeedback  bool
	OpenFeedback int // accessibility feedback not dealt with yet
}

// adminHome is the administrators' start page: what needs them (registrations to decide,
// feedback to answer, mail that failed) and how the platform is used (active learners,
// completions this month).
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := &adminHomeData{adminBase: s.adminBase(w, r, "admin.home.title", "home"), ActiveDays: activeDays}
	now := s.now().In(s.loc)
	d.Month = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.loc)
	var err error
	if d.Pending, err = s.acc.PendingCount(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Active, err = s.learn.ActiveLearners(ctx, now.AddDate(0, 0, -activeDays)); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Modules, d.Programmes, err = s.learn.CompletionsSince(ctx, d.Month); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, d.MailFailed, err = s.Outbox.List(ctx, mail.StatusFailed, 1, 0); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, d.MailWaiting, err = s.Outbox.List(ctx, mail.StatusPending, 1, 0); err != nil {
		s.fail(w, r, err)
		return
	}
	// Hook for the accessibility feedback (issue 8, POST /accessibility/feedback): once its store
	// exists, set HasFeedback and OpenFeedback here; the page shows the count and a link.
	s.page(w, r, http.StatusOK, "admin_home", d)
}
