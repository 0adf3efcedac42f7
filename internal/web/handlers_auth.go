package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/metrics"
	"saferspaces/internal/paths"
)

// loginForm is the sign-in form; the field names email and password are part of SPEC. Next is
// where to go afterwards; Resume and ResumeForm carry a POST that arrived after the session had
// expired, to be finished once signed in (resume.go).
type loginForm struct {
	Email      string `form:"email" validate:"required,max=254"`
	Password   string `form:"password" validate:"required"`
	Next       string `form:"next"`
	Resume     string `form:"resume"`
	ResumeForm string `form:"resume_form"`
}

type loginData struct {
	Base
	Form         loginForm // Password is never rendered back
	Errors       formErrors
	Failed       bool   // wrong e-mail or password, said the same way whatever was wrong
	RetryMinutes int    // > 0: throttled, wait this many minutes
	Expired      bool   // the request came with a session that has ended
	SSO          string // the identity provider /login offers ("" without one)
	SSORequired  bool   // the address must sign in through the provider
	EndSession   string // after signing out of a provider's session: its sign-out page
}

// ResumeKind is what signing in will finish: "complete" (a lesson), "check" (self-check answers)
// or "".
func (d *loginData) ResumeKind() string {
	kind, _, _ := resumable(d.Form.Resume)
	return kind
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, status int, d *loginData) {
	d.Base = s.base(r, "auth.login.title")
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Has("signed_out"):
		d.Notice = i18n.T(d.Lang, "auth.logout.done")
	case d.Expired:
		d.Notice = i18n.T(d.Lang, "auth.login.expired")
	case d.Form.Resume != "" || (d.Form.Next != "" && d.Form.Next != "/"):
		d.Notice = i18n.T(d.Lang, "auth.login.needed")
	}
	if r.Method == http.MethodGet && r.URL.Query().Has("restart") {
		d.Notice = i18n.T(d.Lang, "integration.code.restart")
	}
	if s.sso != nil {
		d.SSO = s.sso.Name()
		q := r.URL.Query()
		if r.Method == http.MethodGet && q.Has("signed_out") && q.Has("sso") {
			d.EndSession = s.sso.endSessionURL(s.cfg.Link(paths.Login + "?signed_out=1"))
		}
		if r.Method == http.MethodGet && q.Has("sso_required") {
			d.SSORequired = true
		}
	}
	d.Form.Password = ""
	if d.Form.Next == "/" {
		d.Form.Next = ""
	}
	if kind, _, _ := resumable(d.Form.Resume); kind == "" {
		d.Form.Resume, d.Form.ResumeForm = "", ""
	}
	s.page(w, r, status, "login", d)
}

// login shows the sign-in form; a signed-in user goes straight on.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if state(r).user != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.loginPage(w, r, http.StatusOK, &loginData{Form: loginForm{Next: next}, Expired: r.URL.Query().Get("expired") == "1"})
}

// loginPost signs in. Every failure that could tell whether the address is known (unknown address,
// wrong password, an account that is pending, rejected, disabled or not activated) renders the very
// same page with status 200; a throttled attempt gets 429.
func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	f := loginForm{
		Email:      strings.TrimSpace(r.PostFormValue("email")),
		Password:   r.PostFormValue("password"),
		Next:       localPath(r.PostFormValue("next")),
		Resume:     localPath(r.PostFormValue("resume")),
		ResumeForm: r.PostFormValue("resume_form"),
	}
	d := &loginData{Form: f, Errors: s.checkForm(state(r).lang, "auth.login.error", f)}
	if d.Errors.Any() {
		s.loginPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	if required, err := s.ssoRequired(r, f.Email); err != nil || required {
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.SSORequired = true
		s.loginPage(w, r, http.StatusOK, d)
		return
	}
	u, device, err := s.acc.SignIn(r.Context(), f.Email, f.Password, clientIP(r), s.sessions.device(r))
	var te *account.ThrottleError
	switch {
	case errors.As(err, &te):
		s.metrics.SignIn(metrics.SignInThrottled)
		d.RetryMinutes = int(math.Ceil(te.RetryAfter.Minutes()))
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.RetryAfter.Seconds()))))
		s.loginPage(w, r, http.StatusTooManyRequests, d)
		return
	case errs.Is(err, errs.Invalid):
		s.metrics.SignIn(metrics.SignInFailed)
		// The typed address is not echoed back: the failure page must be byte-identical for a
		// known and an unknown address, so that comparing bodies reveals nothing.
		d.Failed = true
		d.Form.Email = ""
		s.loginPage(w, r, http.StatusOK, d)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.sessions.rememberDevice(w, device) // a browser that signed in is remembered (only after the whole sign-in: the token is "" before a second step)
	s.metrics.SignIn(metrics.SignInOK)
	s.afterPassword(w, r, u, f)
}

// logout ends the session on the server and returns to the sign-in page. Without a session it
// simply does the latter.
//
// A session that began at the identity provider ends here only; the sign-in page then offers the
// provider's own sign-out, if it has one.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	viaSSO := false
	if sess, err := s.sessions.Get(r, SessionCookie); err == nil {
		viaSSO, _ = sess.Values[ssoSignedInKey].(bool)
	}
	if err := s.sessions.logout(w, r, s.actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	to := "/login?signed_out=1"
	if viaSSO && s.sso != nil && s.sso.endSessionURL("") != "" {
		to += "&sso=1"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// setPasswordForm is the form of the activation and reset pages; the field names are part of SPEC.
type setPasswordForm struct {
	Password        string `form:"password" validate:"required"`
	PasswordConfirm string `form:"password_confirm" validate:"required,eqfield=Password"`
}

type setPasswordData struct {
	Base
	Purpose string // account.PurposeActivation or account.PurposeReset: picks the texts
	Action  string // the form's own URL
	Email   string // whose password is set, for the user and their password manager
	Errors  formErrors
}

// setPasswordPage renders the form of an activation or reset link.
func (s *Server) setPasswordPage(w http.ResponseWriter, r *http.Request, status int, purpose string, u *account.User, fe formErrors) {
	d := &setPasswordData{Base: s.base(r, "auth."+purpose+".title"), Purpose: purpose, Action: r.URL.Path, Email: u.Email, Errors: fe}
	s.page(w, r, status, "setpassword", d)
}

// linkInvalid is the one answer to an activation or reset link that is malformed, unknown, used,
// expired, or whose account may not use it.
func (s *Server) linkInvalid(w http.ResponseWriter, r *http.Request, purpose string) {
	d := &noticeData{Base: s.base(r, "auth.link.title"), Heading: "auth.link.heading", Text: "auth.link." + purpose, Contact: true}
	if purpose == account.PurposeReset {
		d.LinkHref, d.LinkText = "/password/forgot", "auth.link.forgot"
	} else {
		d.LinkHref, d.LinkText = paths.ActivationRenew, "renew.link"
	}
	s.page(w, r, http.StatusGone, "notice", d)
}

// linkFailed answers err from looking up or using an activation or reset link: the invalid-link
// page if the link is not (or no longer) good, the error page for anything else. It reports
// whether it answered, which it does for every err but nil.
func (s *Server) linkFailed(w http.ResponseWriter, r *http.Request, purpose string, err error) bool {
	switch {
	case err == nil:
		return false
	case errs.Is(err, errs.NotFound):
		s.linkInvalid(w, r, purpose)
	default:
		s.fail(w, r, err)
	}
	return true
}

// noticeData is a page that only says something: "link sent", "link invalid".
type noticeData struct {
	Base
	Heading, Text      string // catalog keys
	LinkHref, LinkText string // an optional way on; LinkText is a catalog key
	Contact            bool   // name the operator's contact address (texts that send people there)
}

// tokenPage answers GET /activate/{token} and GET /password/reset/{token}: the form if the link is
// good, without using it up.
func (s *Server) tokenPage(purpose string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.acc.LookupToken(r.Context(), r.PathValue("token"), purpose)
		if !s.linkFailed(w, r, purpose, err) {
			s.setPasswordPage(w, r, http.StatusOK, purpose, u, formErrors{})
		}
	}
}

// tokenPost sets the password through an activation or reset link and signs the user in with a
// fresh session (every older session of the account has ended) — after the second factor, for
// an account that has one: a reset link alone must not open it.
func (s *Server) tokenPost(purpose string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw := r.PathValue("token")
		u, err := s.acc.LookupToken(r.Context(), raw, purpose)
		if s.linkFailed(w, r, purpose, err) {
			return
		}
		f := setPasswordForm{Password: r.PostFormValue("password"), PasswordConfirm: r.PostFormValue("password_confirm")}
		lang := state(r).lang
		fe := s.checkForm(lang, "auth.setpw.error", f)
		if fe.Any() {
			s.setPasswordPage(w, r, http.StatusUnprocessableEntity, purpose, u, fe)
			return
		}
		set := s.acc.Activate
		if purpose == account.PurposeReset {
			set = s.acc.ResetPassword
		}
		signedIn, err := set(r.Context(), raw, f.Password, clientIP(r), r.UserAgent())
		var pe *account.PasswordError
		if errors.As(err, &pe) {
			fe.add("password", i18n.T(lang, pe.Key, "Min", pe.Min, "Max", pe.Max))
			s.setPasswordPage(w, r, http.StatusUnprocessableEntity, purpose, u, fe)
			return
		}
		if s.linkFailed(w, r, purpose, err) {
			return
		}
		s.kickMail()
		s.afterPassword(w, r, signedIn, loginForm{Next: "/"})
	}
}

type forgotForm struct {
	Email string `form:"email" validate:"required,email,max=254"`
}

type forgotData struct {
	Base
	Form   forgotForm
	Errors formErrors
}

// forgot shows the form that asks for a reset link.
func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "forgot", &forgotData{Base: s.base(r, "auth.forgot.title")})
}

// forgotPost sends a reset link if the address belongs to an account that can sign in, and answers
// with the same page whether or not it does.
func (s *Server) forgotPost(w http.ResponseWriter, r *http.Request) {
	f := forgotForm{Email: strings.TrimSpace(r.PostFormValue("email"))}
	if fe := s.checkForm(state(r).lang, "auth.forgot.error", f); fe.Any() {
		s.page(w, r, http.StatusUnprocessableEntity, "forgot", &forgotData{Base: s.base(r, "auth.forgot.title"), Form: f, Errors: fe})
		return
	}
	if !s.allow(w, r, func() (bool, time.Duration) { return s.limits.forgotByIP.Allow(network(r)) }) || s.mailCapReached(w, r) {
		return
	}
	if err := s.acc.RequestReset(r.Context(), f.Email, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.kickMail()
	s.page(w, r, http.StatusOK, "notice", &noticeData{Base: s.base(r, "auth.forgot.sent.title"),
		Heading: "auth.forgot.sent.heading", Text: "auth.forgot.sent.text", LinkHref: "/login", LinkText: "auth.forgot.back", Contact: true})
}
