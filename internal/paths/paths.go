// Package paths builds the platform's URL paths, so that a page, an e-mail link, a redirect and
// a learning record's activity id are all made by one function. The route patterns that match
// them are in internal/web/routes.go.
package paths

import (
	"net/url"
	"strconv"
)

// Module is a module's page.
func Module(module string) string { return "/modules/" + url.PathEscape(module) }

// Lesson is a lesson's page.
func Lesson(module, lesson string) string {
	return Module(module) + "/lessons/" + url.PathEscape(lesson)
}

// LessonComplete is where a lesson is marked done.
func LessonComplete(module, lesson string) string { return Lesson(module, lesson) + "/complete" }

// Check is a module's self-check.
func Check(module string) string { return Module(module) + "/check" }

// Attempt is the feedback page of one self-check attempt.
func Attempt(module string, id int64) string {
	return Check(module) + "/attempts/" + strconv.FormatInt(id, 10)
}

// Media is a file of a module's media folder.
func Media(module, file string) string { return Module(module) + "/media/" + url.PathEscape(file) }

// Certificate is a certificate's public verification page.
func Certificate(code string) string { return "/certificates/" + url.PathEscape(code) }

// CertificatePDF is a certificate as PDF.
func CertificatePDF(code string) string { return Certificate(code) + "/pdf" }

// Activation is the page where a new user sets their password with the token of their link.
func Activation(token string) string { return "/activate/" + token }

// Reset is the page where a user sets a new password with the token of their reset link.
func Reset(token string) string { return "/password/reset/" + token }

// Forgot is where a user asks for a reset link.
const Forgot = "/password/forgot"

// Login is the sign-in page.
const Login = "/login"

// Admin is the administrators' overview.
const Admin = "/admin"

// LoginCode asks for the second factor's code during sign-in.
const LoginCode = "/login/code"

// LoginEnrol sets up the second factor during sign-in (admins and trainers without one).
const LoginEnrol = "/login/enrol"

// LoginSSO starts a sign-in at the identity provider; LoginSSOCallback is where it sends people back
// (the redirect URI registered at the provider).
const (
	LoginSSO         = "/login/sso"
	LoginSSOCallback = "/login/sso/callback"
)

// RegisterSSO is the declaration form for people who came through the identity provider.
const RegisterSSO = "/register/sso"

// AccountSecondFactor is where a user manages their second factor.
const AccountSecondFactor = "/account/second-factor"

// AdminResetSecondFactor is where an admin removes a user's second factor.
func AdminResetSecondFactor(id int64) string { return AdminUser(id) + "/second-factor/reset" }

// Registrations is the admins' queue of registrations.
const Registrations = "/admin/registrations"

// AdminUser is an admin's page of one user.
func AdminUser(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

// Cohort is a trainer's report of one cohort.
func Cohort(id int64) string { return "/trainer/cohorts/" + strconv.FormatInt(id, 10) }

// Glossary is the glossary, at a term when id is not "".
func Glossary(id string) string {
	if id == "" {
		return "/glossary"
	}
	return "/glossary#" + id
}

// Cases is the case library.
const Cases = "/cases"

// Tools is the list of working tools.
const Tools = "/tools"

// Case is a case of the case library.
func Case(id string) string { return Cases + "/" + url.PathEscape(id) }

// Tool is a working tool's printable page.
func Tool(id string) string { return Tools + "/" + url.PathEscape(id) }

// ToolPDF is a working tool as PDF.
func ToolPDF(id string) string { return Tool(id) + ".pdf" }

// Legal pages, the accessibility feedback form and the admins' list of feedback.
const (
	Imprint         = "/imprint"
	Privacy         = "/privacy"
	Accessibility   = "/accessibility"
	Feedback        = "/accessibility/feedback"
	AdminFeedback   = "/admin/feedback"
	ActivationRenew = "/activation/new" // where someone whose activation link expired asks for a new one
)

// FeedbackDone is where an admin marks a feedback message as answered.
func FeedbackDone(id int64) string { return AdminFeedback + "/" + strconv.FormatInt(id, 10) + "/done" }

// Trainer is a trainer's list of cohorts.
const Trainer = "/trainer"

// Coverage is the team coverage per organisation.
const Coverage = "/trainer/coverage"

// TrainerRegistrations is a trainer's queue of applicants they may approve.
const TrainerRegistrations = "/trainer/registrations"

// TrainerApprove approves an applicant on a trainer's behalf.
func TrainerApprove(user int64) string {
	return TrainerRegistrations + "/" + strconv.FormatInt(user, 10) + "/approve"
}

// CohortFile is a cohort's export: "progress.csv" or "progress.xlsx".
func CohortFile(id int64, file string) string { return Cohort(id) + "/" + file }

// CohortLearner is a trainer's detail page of one learner of a cohort.
func CohortLearner(id, user int64) string {
	return Cohort(id) + "/learners/" + strconv.FormatInt(user, 10)
}

// CohortQuestions is a cohort's item analysis.
func CohortQuestions(id int64) string { return Cohort(id) + "/questions" }

// CohortRemind sends the cohort's reminders.
func CohortRemind(id int64) string { return Cohort(id) + "/remind" }

// CohortMessage mails a message to the cohort.
func CohortMessage(id int64) string { return Cohort(id) + "/message" }

// AdminCohorts is the admins' list of cohorts.
const AdminCohorts = "/admin/cohorts"

// AdminCohort is an admin's page of one cohort; AdminCohortAction one of its actions
// ("archive", "restore", "members", "domains", "trainers").
func AdminCohort(id int64) string { return AdminCohorts + "/" + strconv.FormatInt(id, 10) }

// AdminCohortAction is an action on a cohort's admin page.
func AdminCohortAction(id int64, action string) string { return AdminCohort(id) + "/" + action }

// AdminCohortRemove takes a member ("members") or trainer ("trainers") out of a cohort.
func AdminCohortRemove(id int64, what string, user int64) string {
	return AdminCohortAction(id, what) + "/" + strconv.FormatInt(user, 10) + "/remove"
}

// AdminImport is the browser's users import.
const AdminImport = "/admin/users/import"

// AccountReminders switches a user's reminder e-mails on or off.
const AccountReminders = "/account/reminders"
