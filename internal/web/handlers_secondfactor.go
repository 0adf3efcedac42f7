package web

import (
	"errors"
	"html/template"
	"math"
	"net/http"
	"strconv"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/paths"
)

// The second factor (TOTP). After the right password, a user with a second factor gets a
// half-session (sessionstore.go) and the code form; an admin or trainer without one sets it up
// first, before any other page. Learners may turn it on and off under /account.

// codeForm is the one field of every code form; its name is part of SPEC.
type codeForm struct {
	Code string `form:"code" validate:"required,max=40"`
}

// afterPassword continues a sign-in whose password was right (sign-in form, activation or reset
// link): straight in, or on to the second factor.
func (s *Server) afterPassword(w http.ResponseWriter, r *http.Request, u *account.User, f loginForm) {
	ctx := r.Context()
	// Where admins require single sign-on, a password (also a new one from a link) opens nothing.
	if required, err := s.ssoRequired(r, u.Email); err != nil || required {
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, paths.Login+"?sso_required=1", http.StatusSeeOther)
		return
	}
	step, err := s.acc.SecondStep(ctx, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var to string
	switch step {
	case account.StepNone:
		if _, err := s.sessions.login(w, r, u.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, s.resumeAfterSignIn(w, r, u.ID, f), http.StatusSeeOther)
		return
	case account.StepEnrol:
		if _, err := s.acc.BeginEnrolment(ctx, u.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		to = paths.LoginEnrol
	default:
		to = paths.LoginCode
	}
	if err := s.sessions.beginSecondStep(w, r, u.ID, s.now(), f); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// pending is the half-session's user; without one (never signed in, too slow, or signed in
// already) the request goes back to where it belongs and ok is false.
// f holds where the sign-in leads afterwards (Next) and what it finishes (Resume, ResumeForm).
func (s *Server) pending(w http.ResponseWriter, r *http.Request) (userID int64, f loginForm, ok bool) {
	if state(r).user != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return 0, f, false
	}
	userID, f, ok = s.sessions.pendingUser(r, s.now())
	if !ok {
		http.Redirect(w, r, paths.Login+"?restart=1", http.StatusSeeOther)
	}
	f.Next = localPath(f.Next)
	return userID, f, ok
}

type codeData struct {
	Base
	Errors       formErrors
	RetryMinutes int
}

// loginCode asks for the code of the second factor.
func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.pending(w, r); ok {
		s.page(w, r, http.StatusOK, "second_step", &codeData{Base: s.base(r, "integration.code.title")})
	}
}

// loginCodePost checks the code and finishes the sign-in.
func (s *Server) loginCodePost(w http.ResponseWriter, r *http.Request) {
	uid, sf, ok := s.pending(w, r)
	if !ok {
		return
	}
	d := &codeData{Base: s.base(r, "integration.code.title")}
	f := codeForm{Code: r.PostFormValue("code")}
	if d.Errors = s.checkForm(d.Lang, "integration.code.error", f); d.Errors.Any() {
		s.page(w, r, http.StatusUnprocessableEntity, "second_step", d)
		return
	}
	_, err := s.acc.VerifySecondFactor(r.Context(), uid, f.Code, clientIP(r))
	if s.codeRefused(w, r, err, &d.Errors, &d.RetryMinutes, func(status int) { s.page(w, r, status, "second_step", d) }) {
		return
	}
	if _, err := s.sessions.login(w, r, uid); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, s.resumeAfterSignIn(w, r, uid, sf), http.StatusSeeOther)
}

// codeRefused answers a wrong or throttled code by showing the form again (again); it reports
// whether it answered, which it does for every err but nil.
func (s *Server) codeRefused(w http.ResponseWriter, r *http.Request, err error, fe *formErrors, retry *int, again func(status int)) bool {
	var te *account.ThrottleError
	switch {
	case err == nil:
		return false
	case errors.As(err, &te):
		*retry = int(math.Ceil(te.RetryAfter.Minutes()))
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.RetryAfter.Seconds()))))
		again(http.StatusTooManyRequests)
	case errors.Is(err, account.ErrWrongCode):
		fe.add("code", i18n.T(state(r).lang, "integration.code.error.wrong"))
		again(http.StatusUnprocessableEntity)
	default:
		s.fail(w, r, err)
	}
	return true
}

type enrolData struct {
	Base
	Secret       string       // base32, to type into an app
	URI          template.URL // otpauth://…, for an app on the same device
	QR           string       // path of the QR code image
	Action       string       // where the code goes
	SignIn       bool         // part of a sign-in (an admin or trainer's required set-up)
	Errors       formErrors
	RetryMinutes int
}

func (s *Server) enrolPage(w http.ResponseWriter, r *http.Request, status int, uid int64, signIn bool, d *enrolData) {
	e, err := s.acc.PendingEnrolment(r.Context(), uid)
	if err != nil {
		if errs.Is(err, errs.NotFound) && !signIn {
			http.Redirect(w, r, paths.AccountSecondFactor, http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	d.Base = s.base(r, "integration.enrol.title")
	// The URI is made here from the platform's own values, so it may be a link of its scheme.
	d.Secret, d.URI, d.SignIn = e.Secret, template.URL(e.URI), signIn
	d.QR, d.Action = paths.AccountSecondFactor+"/qr.png", paths.AccountSecondFactor+"/confirm"
	if signIn {
		d.QR, d.Action = paths.LoginEnrol+"/qr.png", paths.LoginEnrol
	}
	s.page(w, r, status, "enrol", d)
}

// loginEnrol shows an admin or trainer the set-up of their second factor during sign-in.
func (s *Server) loginEnrol(w http.ResponseWriter, r *http.Request) {
	if uid, _, ok := s.pending(w, r); ok {
		s.enrolPage(w, r, http.StatusOK, uid, true, &enrolData{})
	}
}

// loginEnrolPost confirms the set-up with a first code, which also finishes the sign-in, and
// shows the recovery codes once.
func (s *Server) loginEnrolPost(w http.ResponseWriter, r *http.Request) {
	uid, sf, ok := s.pending(w, r)
	if !ok {
		return
	}
	s.confirmEnrolment(w, r, uid, true, sf.Next)
}

func (s *Server) confirmEnrolment(w http.ResponseWriter, r *http.Request, uid int64, signIn bool, next string) {
	d := &enrolData{}
	f := codeForm{Code: r.PostFormValue("code")}
	if d.Errors = s.checkForm(state(r).lang, "integration.code.error", f); d.Errors.Any() {
		s.enrolPage(w, r, http.StatusUnprocessableEntity, uid, signIn, d)
		return
	}
	codes, err := s.acc.ConfirmEnrolment(r.Context(), uid, f.Code, clientIP(r), signIn)
	if s.codeRefused(w, r, err, &d.Errors, &d.RetryMinutes, func(status int) { s.enrolPage(w, r, status, uid, signIn, d) }) {
		return
	}
	if signIn {
		if _, err := s.sessions.login(w, r, uid); err != nil {
			s.fail(w, r, err)
			return
		}
		// The page below is rendered for the user who is now signed in.
		if u, err := s.acc.UserByID(r.Context(), uid); err == nil {
			st := state(r)
			st.user = &CurrentUser{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Lang: st.lang}
		}
	}
	s.recoveryCodes(w, r, codes, next)
}

type recoveryData struct {
	Base
	Codes []string
	Next  string
}

// recoveryCodes shows a new set of recovery codes. It is the one answer to a successful POST that
// is not a redirect: the codes exist in clear only in this response (the database keeps their
// hashes), so there is nothing a later GET could show.
func (s *Server) recoveryCodes(w http.ResponseWriter, r *http.Request, codes []string, next string) {
	if next == "" {
		next = "/"
	}
	s.page(w, r, http.StatusOK, "recovery_codes", &recoveryData{Base: s.base(r, "integration.recovery.title"), Codes: codes, Next: next})
}

// enrolmentQR is the QR code of the enrolment in progress (half-session or signed in).
func (s *Server) enrolmentQR(w http.ResponseWriter, r *http.Request) {
	var uid int64
	if u := state(r).user; u != nil {
		uid = u.ID
	} else if id, _, ok := s.sessions.pendingUser(r, s.now()); ok {
		uid = id
	} else {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	e, err := s.acc.PendingEnrolment(r.Context(), uid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	png, err := learning.QRPNG(e.URI, 280)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store") // it carries the secret
	w.Write(png)
}

type factorData struct {
	Base
	Factor       account.SecondFactor
	Required     bool // the user's role must keep one
	Errors       formErrors
	RetryMinutes int
}

func (s *Server) factorPage(w http.ResponseWriter, r *http.Request, status int, d *factorData) {
	u := state(r).user
	f, err := s.acc.SecondFactorOf(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f.Pending && status == http.StatusOK {
		s.enrolPage(w, r, status, u.ID, false, &enrolData{})
		return
	}
	d.Base = s.base(r, "integration.factor.title")
	d.Factor, d.Required = f, u.Role.NeedsSecondFactor()
	if status == http.StatusOK {
		d.Notice = s.takeNotice(w, r)
	}
	s.page(w, r, status, "second_factor", d)
}

// accountFactor shows the user's second factor and what they can do with it.
func (s *Server) accountFactor(w http.ResponseWriter, r *http.Request) {
	s.factorPage(w, r, http.StatusOK, &factorData{})
}

// accountFactorEnrol starts setting up a second factor.
func (s *Server) accountFactorEnrol(w http.ResponseWriter, r *http.Request) {
	if _, err := s.acc.BeginEnrolment(r.Context(), state(r).user.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, paths.AccountSecondFactor, http.StatusSeeOther)
}

// accountFactorConfirm confirms the set-up with a first code and shows the recovery codes.
func (s *Server) accountFactorConfirm(w http.ResponseWriter, r *http.Request) {
	s.confirmEnrolment(w, r, state(r).user.ID, false, paths.AccountSecondFactor)
}

// accountFactorCancel drops an enrolment that was started and not confirmed.
func (s *Server) accountFactorCancel(w http.ResponseWriter, r *http.Request) {
	if err := s.acc.CancelEnrolment(r.Context(), state(r).user.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, paths.AccountSecondFactor, http.StatusSeeOther)
}

// accountFactorRecovery replaces the recovery codes, after a current code.
func (s *Server) accountFactorRecovery(w http.ResponseWriter, r *http.Request) {
	d := &factorData{}
	f := codeForm{Code: r.PostFormValue("code")}
	if d.Errors = s.checkForm(state(r).lang, "integration.code.error", f); d.Errors.Any() {
		s.factorPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	codes, err := s.acc.NewRecoveryCodes(r.Context(), state(r).user.ID, f.Code, clientIP(r))
	if s.codeRefused(w, r, err, &d.Errors, &d.RetryMinutes, func(status int) { s.factorPage(w, r, status, d) }) {
		return
	}
	s.recoveryCodes(w, r, codes, paths.AccountSecondFactor)
}

// accountFactorDisable switches a learner's second factor off, after a current code.
func (s *Server) accountFactorDisable(w http.ResponseWriter, r *http.Request) {
	d := &factorData{}
	f := codeForm{Code: r.PostFormValue("code")}
	if d.Errors = s.checkForm(state(r).lang, "integration.code.error", f); d.Errors.Any() {
		s.factorPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	err := s.acc.DisableSecondFactor(r.Context(), state(r).user.ID, f.Code, clientIP(r))
	if errors.Is(err, account.ErrFactorRequired) {
		s.fail(w, r, err)
		return
	}
	if s.codeRefused(w, r, err, &d.Errors, &d.RetryMinutes, func(status int) { s.factorPage(w, r, status, d) }) {
		return
	}
	s.setNotice(w, r, "integration.factor.disabled")
	http.Redirect(w, r, paths.AccountSecondFactor, http.StatusSeeOther)
}
