package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/feedback"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/mail"
	"saferspaces/internal/remind"
)

// passwordChangeForm is the change-password form on the account page.
type passwordChangeForm struct {
	Current         string `form:"current_password" validate:"required"`
	Password        string `form:"password" validate:"required"`
	PasswordConfirm string `form:"password_confirm" validate:"required,eqfield=Password"`
}

type accountData struct {
	Base
	Account      *account.User
	Errors       formErrors // of the change-password form
	RetryMinutes int        // > 0: password change throttled
	Factor       account.SecondFactor
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, status int, d *accountData) {
	u, err := s.acc.UserByID(r.Context(), state(r).user.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Base = s.base(r, "auth.account.title")
	d.Account = u
	if d.Factor, err = s.acc.SecondFactorOf(r.Context(), u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if status == http.StatusOK {
		d.Notice = s.takeNotice(w, r)
	}
	s.page(w, r, status, "account", d)
}

// accountShow is the user's own account: who they are and what they can change.
func (s *Server) accountShow(w http.ResponseWriter, r *http.Request) {
	s.accountPage(w, r, http.StatusOK, &accountData{})
}

// accountPassword changes the password. Every other session of the user ends; this one goes on
// under a new id.
func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	f := passwordChangeForm{Current: r.PostFormValue("current_password"), Password: r.PostFormValue("password"),
		PasswordConfirm: r.PostFormValue("password_confirm")}
	lang := state(r).lang
	d := &accountData{Errors: s.checkForm(lang, "auth.account.error", f)}
	if d.Errors.Any() {
		s.accountPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	uid := state(r).user.ID
	err := s.acc.ChangePassword(r.Context(), uid, f.Current, f.Password, clientIP(r))
	var pe *account.PasswordError
	var te *account.ThrottleError
	switch {
	case errors.As(err, &pe):
		d.Errors.add("password", i18n.T(lang, pe.Key, "Min", pe.Min, "Max", pe.Max))
		s.accountPage(w, r, http.StatusUnprocessableEntity, d)
		return
	case errors.Is(err, account.ErrWrongPassword):
		d.Errors.add("current_password", i18n.T(lang, "auth.account.error.wrong_current"))
		s.accountPage(w, r, http.StatusUnprocessableEntity, d)
		return
	case errors.As(err, &te):
		d.RetryMinutes = int(math.Ceil(te.RetryAfter.Minutes()))
		s.accountPage(w, r, http.StatusTooManyRequests, d)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.kickMail()
	if _, err := s.sessions.login(w, r, uid); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setNotice(w, r, "auth.account.password.done")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// accountLanguage stores the language for the interface and for e-mails.
func (s *Server) accountLanguage(w http.ResponseWriter, r *http.Request) {
	lang := supported(r.PostFormValue("language"))
	if lang == "" {
		s.fail(w, r, errs.E(errs.Invalid, "%s", i18n.T(state(r).lang, "error.lang")))
		return
	}
	if err := s.acc.SetLanguage(r.Context(), state(r).user.ID, string(lang)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setNotice(w, r, "auth.account.language.done")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// accountRevoke signs the user out everywhere, on this device too.
func (s *Server) accountRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.acc.SignOutEverywhere(r.Context(), state(r).user.ID, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sessions.drop(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
}

// exportDoc is the data download: the account's records plus the learning records, including
// records of content that has since been removed.
type exportDoc struct {
	*account.Export
	Mails    []mail.ExportMail `json:"mails"`
	Feedback []feedback.Export `json:"accessibility_feedback"`
	Learning *learning.Export  `json:"learning,omitempty"`
	// Reminders are the reminder e-mails received (kept 180 days); the wish for none is
	// profile.reminders_off.
	Reminders []remind.Export `json:"reminders_received"`
	// Statements are the stored xAPI statements about the person, as stored and sent to an LRS.
	Statements []json.RawMessage `json:"xapi_statements"`
}

// accountExport sends everything the platform stores about the user as a JSON file.
func (s *Server) accountExport(w http.ResponseWriter, r *http.Request) {
	uid := state(r).user.ID
	e, err := s.acc.ExportUser(r.Context(), uid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc := exportDoc{Export: e}
	if doc.Learning, err = s.learn.Export(r.Context(), uid); err != nil {
		s.fail(w, r, err)
		return
	}
	if doc.Mails, err = s.Outbox.SentTo(r.Context(), e.Profile.Email); err != nil {
		s.fail(w, r, err)
		return
	}
	if doc.Feedback, err = s.Feedback.SentFrom(r.Context(), e.Profile.Email); err != nil {
		s.fail(w, r, err)
		return
	}
	if doc.Reminders, err = s.Remind.SentTo(r.Context(), uid); err != nil {
		s.fail(w, r, err)
		return
	}
	if doc.Statements, err = s.XAPI.About(r.Context(), uid); err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="saferspaces-my-data.json"`)
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
