package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"saferspaces/internal/errs"
	"saferspaces/internal/feedback"
	"saferspaces/internal/legal"
	"saferspaces/internal/paths"
)

// --- legal pages, accessibility feedback, new activation links (area: legal) ---

type legalData struct {
	Base
	Doc      legal.Document
	Form     feedbackForm // the feedback form of /accessibility
	Errors   formErrors
	Feedback bool // the page carries the feedback form
}

type feedbackForm struct{ Message, Email string }

// legalPage serves /imprint, /privacy and /accessibility in the visitor's language.
func (s *Server) legalPage(page legal.Page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.renderLegal(w, r, http.StatusOK, page, feedbackForm{}, formErrors{})
	}
}

func (s *Server) renderLegal(w http.ResponseWriter, r *http.Request, status int, page legal.Page, f feedbackForm, fe formErrors) {
	lang := state(r).lang
	d := &legalData{Base: s.base(r, ""), Doc: s.Legal.Document(page, lang), Form: f, Errors: fe,
		Feedback: page == legal.Accessibility}
	d.Title = d.Doc.Title
	s.page(w, r, status, "legal", d)
}

// feedbackPost stores accessibility feedback and mails it to the contact address. It is limited
// per client address and by the hourly mail cap, like every public form that causes mail.
func (s *Server) feedbackPost(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, func() (bool, time.Duration) { return s.limits.feedbackByIP.Allow(network(r)) }) || s.mailCapReached(w, r) {
		return
	}
	f := feedbackForm{Message: r.PostFormValue("message"), Email: strings.TrimSpace(r.PostFormValue("email"))}
	lang := state(r).lang
	fb, err := s.Feedback.Submit(r.Context(), s.actor(r), feedback.Input{Message: f.Message, Email: f.Email, Lang: lang})
	switch {
	case errs.Is(err, errs.Invalid):
		s.renderLegal(w, r, http.StatusUnprocessableEntity, legal.Accessibility, f, s.fieldErrors(lang, "legal.feedback.error", err))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.kickMail()
	to := paths.Feedback + "?due=" + fb.DueAt.In(s.loc).Format(time.DateOnly)
	if fb.Email != "" {
		to += "&reply=1"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

type feedbackSentData struct {
	Base
	Due   time.Time
	Reply bool
}

// feedbackSent thanks the sender and says by when the answer comes.
func (s *Server) feedbackSent(w http.ResponseWriter, r *http.Request) {
	due, err := time.ParseInLocation(time.DateOnly, r.URL.Query().Get("due"), s.loc)
	if err != nil || due.Before(s.now().AddDate(0, 0, -1)) || due.After(s.now().AddDate(0, 1, 1)) {
		http.Redirect(w, r, paths.Accessibility, http.StatusSeeOther)
		return
	}
	s.page(w, r, http.StatusOK, "feedback_sent", &feedbackSentData{Base: s.base(r, "legal.feedback.done.title"),
		Due: due, Reply: r.URL.Query().Get("reply") == "1"})
}

type adminFeedbackData struct {
	adminBase
	Items []feedback.Feedback
	Now   time.Time
	Open  int
}

// adminFeedback lists the accessibility feedback, open first.
func (s *Server) adminFeedback(w http.ResponseWriter, r *http.Request) {
	items, err := s.Feedback.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &adminFeedbackData{adminBase: s.adminBase(w, r, "legal.admin.title", "feedback"), Items: items, Now: s.now()}
	for _, f := range items {
		if f.Open() {
			d.Open++
		}
	}
	s.page(w, r, http.StatusOK, "admin_feedback", d)
}

// adminFeedbackDone marks a feedback message as answered.
func (s *Server) adminFeedbackDone(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	if err := s.Feedback.MarkDone(r.Context(), s.actor(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setNotice(w, r, "legal.admin.notice.done")
	http.Redirect(w, r, paths.AdminFeedback, http.StatusSeeOther)
}

type renewData struct {
	Base
	Form   forgotForm
	Errors formErrors
}

// renew shows the form that asks for a new activation link.
func (s *Server) renew(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "renew", &renewData{Base: s.base(r, "renew.title")})
}

// renewPost sends a new activation link if the address belongs to an approved account that has
// not set its password, and answers with the same page for every address.
func (s *Server) renewPost(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, func() (bool, time.Duration) { return s.limits.renewByIP.Allow(network(r)) }) || s.mailCapReached(w, r) {
		return
	}
	f := forgotForm{Email: strings.TrimSpace(r.PostFormValue("email"))}
	if fe := s.checkForm(state(r).lang, "renew.error", f); fe.Any() {
		s.page(w, r, http.StatusUnprocessableEntity, "renew", &renewData{Base: s.base(r, "renew.title"), Form: f, Errors: fe})
		return
	}
	if err := s.acc.RequestActivation(r.Context(), f.Email, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.kickMail()
	s.page(w, r, http.StatusOK, "notice", &noticeData{Base: s.base(r, "renew.sent.title"),
		Heading: "renew.sent.heading", Text: "renew.sent.text", LinkHref: paths.Login, LinkText: "auth.forgot.back", Contact: true})
}
