package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/i18n"
	"saferspaces/internal/paths"
)

// Single sign-on with OpenID Connect (serve --oidc-issuer …). /login offers the provider; its
// callback signs in a linked account, links an account through the provider's verified address,
// or sends a new person to the declaration form (/register/sso), after which they wait for
// approval like every applicant. The protocol is in oidc.go, the account rules in package account.

// Session values of single sign-on.
const (
	ssoFlowKey       = "sso_flow"     // the started flow (JSON of ssoFlow)
	ssoIdentityKey   = "sso_identity" // a verified identity on its way to the declaration form (JSON)
	ssoIdentityAtKey = "sso_identity_at"
	ssoSignedInKey   = "sso" // a session signed in through the provider (sign-out offers the provider's)
)

// ssoStart starts a sign-in at the provider.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) {
	if s.sso == nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	next := localPath(r.PostFormValue("next"))
	if state(r).user != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	flow, to, err := s.sso.start(r.Context(), next)
	if errors.Is(err, errSSOUnavailable) {
		s.log.Warn("single sign-on: provider not reachable", "err", err)
		s.ssoNotice(w, r, http.StatusBadGateway, "integration.sso.unavailable")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	js, _ := json.Marshal(flow)
	if err := s.sessions.fresh(w, r, map[any]any{ssoFlowKey: string(js)}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// ssoCallback is where the provider sends the person back with a code (the redirect URI).
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) {
	if s.sso == nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	ctx := r.Context()
	sess, err := s.sessions.Get(r, SessionCookie)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var flow *ssoFlow
	if js, ok := sess.Values[ssoFlowKey].(string); ok {
		flow = &ssoFlow{}
		if json.Unmarshal([]byte(js), flow) != nil {
			flow = nil
		}
	}
	// A flow is good for one callback, whatever its outcome.
	if flow != nil && sess.ID != "" {
		delete(sess.Values, ssoFlowKey)
		if err := sess.Save(r, w); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	id, _, err := s.sso.finish(ctx, flow, r.URL.Query())
	var refused *errSSOFlow
	switch {
	case errors.As(err, &refused):
		s.log.Info("single sign-on refused", "reason", refused.reason)
		// Audited when this browser had started a flow; a callback out of nowhere is answered
		// the same way but cannot be used to fill the audit log.
		if flow != nil {
			if aerr := s.acc.RecordSSOFailure(ctx, refused.reason, clientIP(r)); aerr != nil {
				s.fail(w, r, aerr)
				return
			}
		}
		s.ssoNotice(w, r, http.StatusBadRequest, "integration.sso.failed")
		return
	case errors.Is(err, errSSOUnavailable):
		s.ssoNotice(w, r, http.StatusBadGateway, "integration.sso.unavailable")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	u, result, err := s.acc.SSOSignIn(ctx, id, clientIP(r))
	switch {
	case errors.Is(err, account.ErrUnverifiedEmail):
		s.ssoNotice(w, r, http.StatusForbidden, "integration.sso.unverified")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	switch result {
	case account.SSOSignedIn:
		s.ssoLogin(w, r, u.ID, flow.Next)
	case account.SSONewApplicant:
		js, _ := json.Marshal(id)
		if err := s.sessions.fresh(w, r, map[any]any{ssoIdentityKey: string(js), ssoIdentityAtKey: s.now().Unix()}); err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, paths.RegisterSSO, http.StatusSeeOther)
	case account.SSOPending:
		s.ssoNotice(w, r, http.StatusOK, "integration.sso.pending")
	default:
		s.ssoNotice(w, r, http.StatusForbidden, "integration.sso.refused")
	}
}

// ssoLogin starts the signed-in session of someone the provider vouched for; it is marked, so
// that signing out offers the provider's sign-out too.
func (s *Server) ssoLogin(w http.ResponseWriter, r *http.Request, userID int64, next string) {
	sess, err := s.sessions.login(w, r, userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sess.Values[ssoSignedInKey] = true
	if err := sess.Save(r, w); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
}

func (s *Server) ssoNotice(w http.ResponseWriter, r *http.Request, status int, text string) {
	s.page(w, r, status, "notice", &noticeData{Base: s.base(r, "integration.sso.title"), Heading: "integration.sso.heading",
		Text: text, LinkHref: paths.Login, LinkText: "integration.sso.back"})
}

// ssoIdentity is the verified identity waiting for its declaration, if any (and not too old).
func (s *Server) ssoIdentity(r *http.Request) (account.Identity, bool) {
	var id account.Identity
	sess, err := s.sessions.Get(r, SessionCookie)
	if err != nil || sess.ID == "" {
		return id, false
	}
	js, _ := sess.Values[ssoIdentityKey].(string)
	at, _ := sess.Values[ssoIdentityAtKey].(int64)
	if js == "" || s.now().Sub(time.Unix(at, 0)) > 30*time.Minute || json.Unmarshal([]byte(js), &id) != nil {
		return id, false
	}
	return id, true
}

// ssoRegister shows the declaration to someone the provider vouched for and the platform does not
// know yet; name and address are the provider's.
func (s *Server) ssoRegister(w http.ResponseWriter, r *http.Request) {
	id, ok := s.ssoIdentity(r)
	if !ok {
		http.Redirect(w, r, "/register", http.StatusSeeOther)
		return
	}
	s.registerPage(w, r, http.StatusOK, registerForm{Name: id.Name, Email: id.Email}, formErrors{}, false)
}

// ssoRegisterPost registers them as an applicant linked to their identity: the thank-you page,
// or — when their domain is approved automatically — straight in.
func (s *Server) ssoRegisterPost(w http.ResponseWriter, r *http.Request) {
	id, ok := s.ssoIdentity(r)
	if !ok {
		http.Redirect(w, r, "/register", http.StatusSeeOther)
		return
	}
	f := registerForm{
		Name: id.Name, Email: id.Email,
		Organisation: strings.TrimSpace(r.PostFormValue("organisation")),
		Position:     strings.TrimSpace(r.PostFormValue("position")),
		Language:     r.PostFormValue("language"),
		CohortCode:   strings.TrimSpace(r.PostFormValue("cohort_code")),
		Accept:       r.PostFormValue("accept"),
	}
	f.Version, _ = strconv.Atoi(r.PostFormValue("declaration_version"))
	u, approved, err := s.acc.RegisterSSO(r.Context(), account.Registration{
		Organisation: f.Organisation, Position: f.Position, Lang: f.Language, CohortCode: f.CohortCode,
		Accepted: f.Accept == "yes", DeclarationVersion: f.Version, IP: clientIP(r), UserAgent: r.UserAgent(),
	}, id)
	if s.registerRefused(w, r, f, err) {
		return
	}
	s.kickMail()
	if approved {
		s.ssoLogin(w, r, u.ID, "/")
		return
	}
	if err := s.sessions.drop(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/register/done", http.StatusSeeOther)
}

// ssoRequired reports whether the address must sign in through the provider (admins' policy);
// never without a provider, so that a platform whose provider is switched off stays reachable.
func (s *Server) ssoRequired(r *http.Request, email string) (bool, error) {
	if s.sso == nil {
		return false, nil
	}
	p, err := s.acc.SSORequired(r.Context())
	if err != nil {
		return false, err
	}
	return p.Requires(strings.ToLower(strings.TrimSpace(email))), nil
}

type ssoAdminData struct {
	adminBase
	Provider string // issuer, "" without a provider
	Redirect string
	Policy   account.SSOPolicy
	Domains  string
	Errors   formErrors
}

func (s *Server) ssoAdminPage(w http.ResponseWriter, r *http.Request, status int, d *ssoAdminData) {
	d.adminBase = s.adminBase(w, r, "integration.sso.admin.title", "sso")
	if s.sso != nil {
		d.Provider, d.Redirect = s.sso.issuer, s.sso.redirect
	}
	if status == http.StatusOK {
		p, err := s.acc.SSORequired(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Policy, d.Domains = p, strings.Join(p.Domains, "\n")
	}
	s.page(w, r, status, "admin_sso", d)
}

// adminSSO shows the provider and for whom password sign-in is switched off.
func (s *Server) adminSSO(w http.ResponseWriter, r *http.Request) {
	s.ssoAdminPage(w, r, http.StatusOK, &ssoAdminData{})
}

// adminSSOPost stores the policy: nobody, everyone, or the listed domains must use the provider.
func (s *Server) adminSSOPost(w http.ResponseWriter, r *http.Request) {
	mode, domains := r.PostFormValue("required"), r.PostFormValue("domains")
	if mode == "none" {
		domains = ""
	}
	p, err := account.ParseSSOPolicy(mode == "all", domains)
	if err != nil {
		d := &ssoAdminData{Policy: p, Domains: domains, Errors: s.fieldErrors(state(r).lang, "integration.sso.admin.error", err)}
		s.ssoAdminPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	if mode == "domains" && len(p.Domains) == 0 {
		d := &ssoAdminData{Domains: domains}
		d.Errors.add("domains", i18n.T(state(r).lang, "integration.sso.admin.error.domains"))
		s.ssoAdminPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	if err := s.acc.SetSSORequired(r.Context(), s.actor(r), p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, "/admin/sso", "sso_policy")
}
