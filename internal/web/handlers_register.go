package web

import (
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/limits"
	"saferspaces/internal/paths"
)

// formCheck validates form structs; field errors are reported under the field's `form` name, which
// is also the input's name and (prefixed with "f-") its id.
var formCheck = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return f.Tag.Get("form") })
	// lang: one of the platform's languages (package i18n knows which).
	_ = v.RegisterValidation("lang", func(fl validator.FieldLevel) bool { return supported(fl.Field().String()) != "" })
	return v
}()

// fieldError is one invalid field, for the error summary at the top of a form.
type fieldError struct {
	Field   string
	Message string
}

// formErrors holds the messages of a re-rendered form: Field for aria-invalid and the message under
// the input, List for the summary in field order.
type formErrors struct {
	Field map[string]string
	List  []fieldError
}

func (e *formErrors) add(field, msg string) {
	if e.Field == nil {
		e.Field = map[string]string{}
	}
	if _, dup := e.Field[field]; dup {
		return
	}
	e.Field[field] = msg
	e.List = append(e.List, fieldError{Field: field, Message: msg})
}

// Any reports whether there is an error.
func (e *formErrors) Any() bool { return len(e.List) > 0 }

// fieldErrors shows a domain's field problems (errs.Fields) on a form: each field gets the
// message prefix.FIELD of the catalog, which states the field's rule in the reader's language.
// An invalid input without field problems is reported for the whole form.
func (s *Server) fieldErrors(lang i18n.Lang, prefix string, err error) formErrors {
	var fe formErrors
	for _, f := range errs.FieldsOf(err) {
		fe.add(f.Name, i18n.T(lang, prefix+"."+f.Name))
	}
	if !fe.Any() {
		fe.add("form", i18n.T(lang, "error.400.text"))
	}
	return fe
}

// checkForm validates form and translates each failed field to the message prefix.FIELD (one clear
// message per field that states its rule, rather than one per failed tag).
func (s *Server) checkForm(lang i18n.Lang, prefix string, form any) formErrors {
	var fe formErrors
	var ves validator.ValidationErrors
	if err := formCheck.Struct(form); errors.As(err, &ves) {
		for _, v := range ves {
			fe.add(v.Field(), i18n.T(lang, prefix+"."+v.Field()))
		}
	} else if err != nil {
		// Only a programming error (an unsupported struct) ends up here.
		s.log.Error("form validation", "err", err)
		fe.add("form", i18n.T(lang, "error.400.text"))
	}
	return fe
}

// registerForm is the declaration form as sent, to show it again; the field names are part of
// SPEC and the rules are the gate's (account.Registration).
type registerForm struct {
	Name, Email, Organisation, Position, Language, CohortCode, Accept string
	Version                                                           int
}

type registerData struct {
	Base
	Declaration *account.Declaration
	Form        registerForm
	Errors      formErrors
	Stale       bool // the form showed an older declaration version
	SSO         bool // the applicant came through the identity provider: name and address are its
}

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request, status int, form registerForm, fe formErrors, stale bool) {
	d, err := s.acc.CurrentDeclaration(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := &registerData{Base: s.base(r, "reg.title"), Declaration: d, Form: form, Errors: fe, Stale: stale}
	// The same page serves applicants who come through single sign-on (handlers_sso.go).
	data.SSO = r.URL.Path == paths.RegisterSSO
	data.Form.Version = d.Version
	if data.Form.Language == "" {
		data.Form.Language = string(data.Lang)
	}
	s.page(w, r, status, "register", data)
}

// register shows the declaration and the registration form.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	s.registerPage(w, r, http.StatusOK, registerForm{}, formErrors{}, false)
}

// registerPost stores the applicant. Known and unknown addresses end on the same page, so the form
// tells nobody who has an account.
func (s *Server) registerPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errs.Wrap(errs.Invalid, err, ""))
		return
	}
	f := registerForm{
		Name:         strings.TrimSpace(r.PostFormValue("name")),
		Email:        strings.TrimSpace(r.PostFormValue("email")),
		Organisation: strings.TrimSpace(r.PostFormValue("organisation")),
		Position:     strings.TrimSpace(r.PostFormValue("position")),
		Language:     r.PostFormValue("language"),
		CohortCode:   strings.TrimSpace(r.PostFormValue("cohort_code")),
		Accept:       r.PostFormValue("accept"),
	}
	f.Version, _ = strconv.Atoi(r.PostFormValue("declaration_version"))
	reg := account.Registration{
		Name: f.Name, Email: f.Email, Organisation: f.Organisation, Position: f.Position, Lang: f.Language,
		CohortCode: f.CohortCode, Accepted: f.Accept == "yes", DeclarationVersion: f.Version,
		IP: clientIP(r), UserAgent: r.UserAgent(),
	}
	err := account.CheckRegistration(reg)
	// Abuse limits for every well-formed registration, before anything is stored or mailed: per
	// client address, per address typed (a victim's mailbox), and the hourly cap on the mail that
	// public forms cause.
	if err == nil {
		var giveBack func()
		if !s.allow(w, r,
			func() (bool, time.Duration) { return s.limits.registerByIP.Allow(limits.Network(reg.IP)) },
			func() (ok bool, wait time.Duration) {
				ok, wait, giveBack = s.limits.registerByTarget.Take(targetKey(f.Email))
				return ok, wait
			},
		) {
			return
		}
		if s.mailCapReached(w, r) {
			giveBack()
			return
		}
		// A registration refused before anything was stored or mailed (a declaration changed
		// meanwhile, a wrong cohort code) gives the address's event back: otherwise three such
		// requests by anyone would keep the address's owner from registering for hours.
		if err = s.acc.Register(r.Context(), reg); err != nil {
			giveBack()
		}
	}
	if s.registerRefused(w, r, f, err) {
		return
	}
	s.kickMail()
	http.Redirect(w, r, "/register/done", http.StatusSeeOther)
}

// registerRefused answers a registration (by form or single sign-on) that err refused — the
// declaration changed meanwhile (409, the new text to accept), a field is wrong (422 with the
// messages) or anything else — with the form again, the acceptance unticked; it reports whether
// it answered.
func (s *Server) registerRefused(w http.ResponseWriter, r *http.Request, f registerForm, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, account.ErrStaleDeclaration):
		f.Accept = ""
		s.registerPage(w, r, http.StatusConflict, f, formErrors{}, true)
	case errs.Is(err, errs.Invalid):
		f.Accept = ""
		s.registerPage(w, r, http.StatusUnprocessableEntity, f, s.fieldErrors(state(r).lang, "reg.error", err), false)
	default:
		s.fail(w, r, err)
	}
	return true
}

type registerDoneData struct{ Base }

// registerDone is the one thank-you page for every registration.
func (s *Server) registerDone(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "register_done", &registerDoneData{Base: s.base(r, "reg.done.title")})
}
