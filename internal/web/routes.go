package web

import (
	"net/http"

	"saferspaces/internal/account"
	"saferspaces/internal/legal"
)

// Handler returns the whole HTTP surface of the platform. Every route is here; the middleware
// chain is spelled out at the end. Access rules per route are proven by authz_test.go.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux

	// Public.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(s.serveStatic)))
	mux.HandleFunc("POST /lang", s.setLanguage)
	mux.HandleFunc("GET /{$}", s.home)

	// --- sign-in, activation, reset, account (area: auth) ---
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("POST /login", s.loginPost)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /activate/{token}", s.tokenPage(account.PurposeActivation))
	mux.HandleFunc("POST /activate/{token}", s.tokenPost(account.PurposeActivation))
	mux.HandleFunc("GET /password/forgot", s.forgot)
	mux.HandleFunc("POST /password/forgot", s.forgotPost)
	mux.HandleFunc("GET /password/reset/{token}", s.tokenPage(account.PurposeReset))
	mux.HandleFunc("POST /password/reset/{token}", s.tokenPost(account.PurposeReset))
	mux.Handle("GET /account", s.requireUser(http.HandlerFunc(s.accountShow)))
	mux.Handle("POST /account/password", s.requireUser(http.HandlerFunc(s.accountPassword)))
	mux.Handle("POST /account/language", s.requireUser(http.HandlerFunc(s.accountLanguage)))
	mux.Handle("POST /account/sessions/revoke", s.requireUser(http.HandlerFunc(s.accountRevoke)))
	mux.Handle("GET /account/export.json", s.requireUser(http.HandlerFunc(s.accountExport)))
	mux.Handle("POST /account/reminders", s.requireUser(http.HandlerFunc(s.accountReminders)))

	// --- second factor (area: integration) ---
	// /login/code and /login/enrol belong to the half-session between password and code, which is
	// not a signed-in session: without one they send the caller back to /login.
	mux.HandleFunc("GET /login/code", s.loginCode)
	mux.HandleFunc("POST /login/code", s.loginCodePost)
	mux.HandleFunc("GET /login/enrol", s.loginEnrol)
	mux.HandleFunc("POST /login/enrol", s.loginEnrolPost)
	mux.HandleFunc("GET /login/enrol/qr.png", s.enrolmentQR)
	mux.Handle("GET /account/second-factor", s.requireUser(http.HandlerFunc(s.accountFactor)))
	mux.Handle("GET /account/second-factor/qr.png", s.requireUser(http.HandlerFunc(s.enrolmentQR)))
	mux.Handle("POST /account/second-factor/enrol", s.requireUser(http.HandlerFunc(s.accountFactorEnrol)))
	mux.Handle("POST /account/second-factor/confirm", s.requireUser(http.HandlerFunc(s.accountFactorConfirm)))
	mux.Handle("POST /account/second-factor/cancel", s.requireUser(http.HandlerFunc(s.accountFactorCancel)))
	mux.Handle("POST /account/second-factor/recovery", s.requireUser(http.HandlerFunc(s.accountFactorRecovery)))
	mux.Handle("POST /account/second-factor/disable", s.requireUser(http.HandlerFunc(s.accountFactorDisable)))

	// --- single sign-on (area: integration) ---
	// The callback is a GET that signs in: OpenID Connect sends people back that way; state,
	// nonce and PKCE tie it to the flow this browser started with a POST.
	mux.HandleFunc("POST /login/sso", s.ssoStart)
	mux.HandleFunc("GET /login/sso/callback", s.ssoCallback)
	mux.HandleFunc("GET /register/sso", s.ssoRegister)
	mux.HandleFunc("POST /register/sso", s.ssoRegisterPost)

	// --- registration, declarations, admin (area: admin) ---
	mux.HandleFunc("GET /register", s.register)
	mux.HandleFunc("POST /register", s.registerPost)
	mux.HandleFunc("GET /register/done", s.registerDone)
	mux.Handle("GET /declaration", s.requireUser(http.HandlerFunc(s.declaration)))
	mux.Handle("POST /declaration", s.requireUser(http.HandlerFunc(s.declarationPost)))
	admin := func(h http.HandlerFunc) http.Handler { return s.requireRole(account.RoleAdmin, h) }
	mux.Handle("GET /admin", admin(s.adminHome))
	mux.Handle("GET /admin/registrations", admin(s.adminRegistrations))
	mux.Handle("POST /admin/registrations/approve", admin(s.adminBulkApprove))
	mux.Handle("POST /admin/registrations/{id}/approve", admin(s.adminApprove))
	mux.Handle("POST /admin/registrations/{id}/reject", admin(s.adminReject))
	mux.Handle("GET /admin/users", admin(s.adminUsers))
	mux.Handle("GET /admin/users/import", admin(s.adminImport))
	mux.Handle("POST /admin/users/import", admin(s.adminImportPreview))
	mux.Handle("POST /admin/users/import/apply", admin(s.adminImportApply))
	mux.Handle("GET /admin/users/{id}", admin(s.adminUser))
	mux.Handle("POST /admin/users/{id}/role", admin(s.adminSetRole()))
	mux.Handle("POST /admin/users/{id}/disable", admin(s.adminDisable()))
	mux.Handle("POST /admin/users/{id}/enable", admin(s.adminEnable()))
	mux.Handle("POST /admin/users/{id}/resend", admin(s.adminResend()))
	mux.Handle("POST /admin/users/{id}/erase", admin(s.adminErase()))
	mux.Handle("POST /admin/users/{id}/cohort", admin(s.adminSetCohort()))
	mux.Handle("POST /admin/users/{id}/second-factor/reset", admin(s.adminResetFactor()))
	mux.Handle("GET /admin/cohorts", admin(s.adminCohorts))
	mux.Handle("POST /admin/cohorts", admin(s.adminCreateCohort))
	mux.Handle("GET /admin/cohorts/{id}", admin(s.adminCohort))
	mux.Handle("POST /admin/cohorts/{id}", admin(s.adminUpdateCohort))
	mux.Handle("POST /admin/cohorts/{id}/archive", admin(s.adminArchiveCohort))
	mux.Handle("POST /admin/cohorts/{id}/restore", admin(s.adminRestoreCohort))
	mux.Handle("POST /admin/cohorts/{id}/trainers", admin(s.adminAddTrainer))
	mux.Handle("POST /admin/cohorts/{id}/trainers/{user}/remove", admin(s.adminRemoveTrainer))
	mux.Handle("POST /admin/cohorts/{id}/members", admin(s.adminAddMember))
	mux.Handle("POST /admin/cohorts/{id}/members/{user}/remove", admin(s.adminRemoveMember))
	mux.Handle("GET /admin/declarations", admin(s.adminDeclarations))
	mux.Handle("POST /admin/declarations", admin(s.adminPublishDeclaration))
	mux.Handle("GET /admin/audit", admin(s.adminAudit))
	mux.Handle("GET /admin/mail", admin(s.adminMail))
	mux.Handle("POST /admin/mail/{id}/retry", admin(s.adminMailRetry))
	mux.Handle("GET /admin/sso", admin(s.adminSSO))
	mux.Handle("POST /admin/sso", admin(s.adminSSOPost))

	// --- operator, legal pages, accessibility feedback (area: legal) ---
	// Public, in the visitor's language, linked from the footer of every page.
	mux.HandleFunc("GET /imprint", s.legalPage(legal.Imprint))
	mux.HandleFunc("GET /privacy", s.legalPage(legal.Privacy))
	mux.HandleFunc("GET /accessibility", s.legalPage(legal.Accessibility))
	mux.HandleFunc("POST /accessibility/feedback", s.feedbackPost)
	mux.HandleFunc("GET /accessibility/feedback", s.feedbackSent)
	mux.HandleFunc("GET /activation/new", s.renew)
	mux.HandleFunc("POST /activation/new", s.renewPost)
	mux.Handle("GET /admin/feedback", admin(s.adminFeedback))
	mux.Handle("POST /admin/feedback/{id}/done", admin(s.adminFeedbackDone))

	// --- learning, self-checks, certificates (area: learning) ---
	// "/" shows signed-in users their dashboard (see home). Certificate pages are public: the
	// code is what a third party holds to verify one.
	learn := func(h http.HandlerFunc) http.Handler { return s.requireUser(h) }
	mux.Handle("GET /modules/{module}", learn(s.modulePage))
	mux.Handle("GET /modules/{module}/lessons/{lesson}", learn(s.lessonPage))
	mux.Handle("POST /modules/{module}/lessons/{lesson}/complete", learn(s.completeLesson))
	mux.Handle("GET /modules/{module}/check", learn(s.checkPage))
	mux.Handle("POST /modules/{module}/check", learn(s.checkSubmit))
	mux.Handle("GET /modules/{module}/check/attempts/{id}", learn(s.attemptPage))
	mux.Handle("GET /certificates", learn(s.certificates))
	mux.HandleFunc("GET /certificates/{code}", s.certificate)
	mux.HandleFunc("GET /certificates/{code}/qr.png", s.certificateQR)
	mux.HandleFunc("GET /certificates/{code}/pdf", s.certificatePDF)

	// --- media, glossary, case library, working tools (area: library) ---
	// Signed-in users only, like the lessons they belong to (docs/spec-notes.md). A tool's PDF is
	// /tools/{tool}.pdf: the mux matches whole segments only, so toolPage tells the two apart.
	mux.Handle("GET /modules/{module}/media/{file}", learn(s.mediaFile))
	mux.Handle("GET /glossary", learn(s.glossaryPage))
	mux.Handle("GET /cases", learn(s.casesPage))
	mux.Handle("GET /cases/{case}", learn(s.casePage))
	mux.Handle("GET /tools", learn(s.toolsPage))
	mux.Handle("GET /tools/{tool}", learn(s.toolPage))

	// --- trainers and learning records (area: trainer) ---
	// A trainer sees only the cohorts they lead (admins all); any other id is a 404.
	trainer := func(h http.HandlerFunc) http.Handler { return s.requireRole(account.RoleTrainer, h) }
	mux.Handle("GET /trainer", trainer(s.trainerHome))
	mux.Handle("GET /trainer/cohorts/{id}", trainer(s.trainerCohort))
	mux.Handle("GET /trainer/cohorts/{id}/progress.csv", trainer(s.trainerCohortCSV))
	mux.Handle("GET /trainer/cohorts/{id}/progress.xlsx", trainer(s.trainerCohortXLSX))
	mux.Handle("GET /trainer/cohorts/{id}/learners/{user}", trainer(s.trainerLearner))
	mux.Handle("GET /trainer/cohorts/{id}/questions", trainer(s.trainerQuestions))
	mux.Handle("POST /trainer/cohorts/{id}/remind", trainer(s.trainerRemind))
	mux.Handle("POST /trainer/cohorts/{id}/message", trainer(s.trainerMessage))
	mux.Handle("GET /trainer/coverage", trainer(s.trainerCoverage))
	mux.Handle("GET /trainer/registrations", trainer(s.trainerRegistrations))
	mux.Handle("POST /trainer/registrations/{id}/approve", trainer(s.trainerApprove))
	mux.Handle("GET /admin/export/xapi.jsonl", s.requireRole(account.RoleAdmin, http.HandlerFunc(s.adminExportXAPI)))
	mux.Handle("GET /admin/xapi", s.requireRole(account.RoleAdmin, http.HandlerFunc(s.adminXAPI)))
	mux.Handle("POST /admin/xapi/retry", s.requireRole(account.RoleAdmin, http.HandlerFunc(s.adminXAPIRetry)))

	var h http.Handler = s.withErrorPages(mux)
	h = s.withSession(h)
	h = s.crossOrigin(h)
	h = s.withState(h)
	h = s.limitBody(h)
	h = s.secureHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}
