package web

import (
	"math"
	"regexp"
	"strings"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/i18n"
)

// The audit log stores what happened as codes and plain English details (audit lines are written
// by many packages, in the language of the code, and must stay comparable). The admin's page says
// it in the admin's language: every action by its catalog name (audit.action.CODE), and the
// details and targets the platform writes by the patterns below. Text an admin typed (a reason for
// rejection) and anything unknown are shown as stored.

// auditRow is one event as the page shows it.
type auditRow struct {
	audit.Event
	ActionText string // the action in the reader's language
	ActorText  string // the actor, with "system" and "cli" translated
	TargetText string
	DetailText string
}

func auditRows(lang i18n.Lang, events []audit.Event) []auditRow {
	out := make([]auditRow, len(events))
	for i, e := range events {
		out[i] = auditRow{Event: e, ActionText: auditAction(lang, e.Action), ActorText: auditActor(lang, e.Actor),
			TargetText: auditTarget(lang, e.Target), DetailText: auditDetail(lang, e.Action, e.Detail)}
	}
	return out
}

// auditAction names an action in lang; an action without a catalog name shows its code.
func auditAction(lang i18n.Lang, code string) string {
	if i18n.Has(lang, "audit.action."+code) {
		return i18n.T(lang, "audit.action."+code)
	}
	return code
}

// auditActionsMatching lists the actions whose name in lang contains q (any case), so that the
// filter finds "Anmeldung fehlgeschlagen" as well as "login.failed".
func auditActionsMatching(lang i18n.Lang, q string) []string {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nil
	}
	var out []string
	for _, k := range i18n.Keys(lang) {
		if code, ok := strings.CutPrefix(k, "audit.action."); ok && strings.Contains(strings.ToLower(i18n.T(lang, k)), q) {
			out = append(out, code)
		}
	}
	return out
}

func auditActor(lang i18n.Lang, actor string) string {
	switch actor {
	case "system", "cli", "demo":
		return i18n.T(lang, "audit.actor."+actor)
	}
	return actor
}

var (
	targetDeclaration = regexp.MustCompile(`^declaration v(\d+)$`)
	targetErased      = regexp.MustCompile(`^user #(\d+)$`)
)

func auditTarget(lang i18n.Lang, target string) string {
	if m := targetDeclaration.FindStringSubmatch(target); m != nil {
		return i18n.T(lang, "audit.target.declaration", "Version", m[1])
	}
	if m := targetErased.FindStringSubmatch(target); m != nil {
		return i18n.T(lang, "audit.target.erased", "ID", m[1])
	}
	return target
}

// detailPattern turns a detail the platform writes into catalog text; fill gets the submatches.
type detailPattern struct {
	re   *regexp.Regexp
	fill func(lang i18n.Lang, m []string) string
}

func fixed(key string) func(i18n.Lang, []string) string {
	return func(lang i18n.Lang, _ []string) string { return i18n.T(lang, key) }
}

func roleName(lang i18n.Lang, role string) string {
	if i18n.Has(lang, "admin.role."+role) {
		return i18n.T(lang, "admin.role."+role)
	}
	return role
}

func statusName(lang i18n.Lang, status string) string {
	if i18n.Has(lang, "admin.status."+status) {
		return i18n.T(lang, "admin.status."+status)
	}
	return status
}

// wholeDetails are details matched as a whole (they contain "; " themselves); partDetails are
// matched per "; "-separated part.
var wholeDetails = []detailPattern{
	{regexp.MustCompile(`^no account with this address; nothing sent$`), fixed("audit.detail.reset_unknown")},
	{regexp.MustCompile(`^account (\w+) or not activated; nothing sent$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.reset_inactive", "Status", statusName(l, m[1]))
	}},
	{regexp.MustCompile(`^account (\w+) or already activated; nothing sent$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.activation_done", "Status", statusName(l, m[1]))
	}},
	{regexp.MustCompile(`^a link was sent less than 2 minutes ago; nothing sent$`), fixed("audit.detail.reset_recent")},
	{regexp.MustCompile(`^registration form sent again for a known address; nothing changed$`), fixed("audit.detail.duplicate")},
	{regexp.MustCompile(`^user agent: (.*)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.user_agent", "Agent", m[1])
	}},
}

var partDetails = []detailPattern{
	{regexp.MustCompile(`^no cohort$`), fixed("audit.detail.no_cohort")},
	{regexp.MustCompile(`^cohort code "(.*)" \((.*)\)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.code_known", "Code", m[1], "Name", m[2])
	}},
	{regexp.MustCompile(`^unknown cohort code "(.*)"$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.code_unknown", "Code", m[1])
	}},
	{regexp.MustCompile(`^cohort (.+)$`), func(l i18n.Lang, m []string) string { return i18n.T(l, "audit.detail.cohort", "Name", m[1]) }},
	{regexp.MustCompile(`^code (.+)$`), func(l i18n.Lang, m []string) string { return i18n.T(l, "audit.detail.code", "Code", m[1]) }},
	{regexp.MustCompile(`^role (\w+)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.role", "Role", roleName(l, m[1]))
	}},
	{regexp.MustCompile(`^demo account, role (\w+)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.demo", "Role", roleName(l, m[1]))
	}},
	{regexp.MustCompile(`^(learner|trainer|admin) → (learner|trainer|admin)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.role_change", "From", roleName(l, m[1]), "To", roleName(l, m[2]))
	}},
	{regexp.MustCompile(`^(?:declaration v|version )(\d+)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.version", "Version", m[1])
	}},
	{regexp.MustCompile(`^outbox mail #(\d+)$`), func(l i18n.Lang, m []string) string { return i18n.T(l, "audit.detail.mail", "ID", m[1]) }},
	{regexp.MustCompile(`^all learning records to (.+)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.xapi", "Target", m[1])
	}},
	{regexp.MustCompile(`^sign-in refused for (.+)$`), func(l i18n.Lang, m []string) string {
		d, err := time.ParseDuration(m[1])
		if err != nil {
			return m[0]
		}
		return i18n.N(l, "audit.detail.throttled", int(math.Ceil(d.Minutes())))
	}},
	{regexp.MustCompile(`^unknown address$`), fixed("audit.detail.unknown_address")},
	{regexp.MustCompile(`^wrong password$`), fixed("audit.detail.wrong_password")},
	{regexp.MustCompile(`^account not activated yet$`), fixed("audit.detail.not_activated")},
	{regexp.MustCompile(`^account (\w+)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.account_status", "Status", statusName(l, m[1]))
	}},
	{regexp.MustCompile(`^reset link sent$`), fixed("audit.detail.reset_sent")},
	{regexp.MustCompile(`^activation link sent$`), fixed("audit.detail.activation_sent")},
	{regexp.MustCompile(`^waiting for the second factor(, remembered browser)?$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.factor_waiting") + remembered(l, m[1])
	}},
	{regexp.MustCompile(`^second factor: (app|recovery) code(, remembered browser)?$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.factor_"+m[1]) + remembered(l, m[2])
	}},
	{regexp.MustCompile(`^wrong second-factor code$`), fixed("audit.detail.factor_wrong")},
	{regexp.MustCompile(`^all failed and waiting statements \((\d+)\)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.xapi_retry_all", "Count", m[1])
	}},
	{regexp.MustCompile(`^statement (\S+) \((\d+)\)$`), func(l i18n.Lang, m []string) string {
		return i18n.T(l, "audit.detail.xapi_retry_one", "ID", m[1])
	}},
	{regexp.MustCompile(`^(inactivity warnings sent|inactive accounts anonymised|inactive accounts kept \(last admin\)|` +
		`rejected applicants deleted|undecided applicants deleted|declaration acceptance records deleted|` +
		`audit lines deleted|mail outbox rows deleted|mail files deleted|accessibility feedback deleted|reminder records deleted): (\d+)$`),
		func(l i18n.Lang, m []string) string {
			return i18n.T(l, "audit.detail.purged."+purgedKeys[m[1]], "Count", m[2])
		}},
	{regexp.MustCompile(`^signed out everywhere$`), fixed("audit.detail.everywhere")},
}

// purgedKeys names the counts of a retention run (retention.Report.Lines) in the catalog.
var purgedKeys = map[string]string{
	"inactivity warnings sent":               "warned",
	"inactive accounts anonymised":           "anonymised",
	"inactive accounts kept (last admin)":    "kept_admins",
	"rejected applicants deleted":            "rejected",
	"undecided applicants deleted":           "undecided",
	"declaration acceptance records deleted": "acceptances",
	"audit lines deleted":                    "audit",
	"mail outbox rows deleted":               "mail_rows",
	"mail files deleted":                     "mail_files",
	"accessibility feedback deleted":         "feedback",
	"reminder records deleted":               "reminders",
}

// remembered is the suffix of a sign-in step taken in a remembered browser.
func remembered(l i18n.Lang, suffix string) string {
	if suffix == "" {
		return ""
	}
	return ", " + i18n.T(l, "audit.detail.remembered")
}

// auditDetail says a detail in lang. The reason of a rejection is the admin's own text.
func auditDetail(lang i18n.Lang, action, detail string) string {
	if detail == "" || action == "registration.rejected" {
		return detail
	}
	for _, p := range wholeDetails {
		if m := p.re.FindStringSubmatch(detail); m != nil {
			return p.fill(lang, m)
		}
	}
	parts := strings.Split(detail, "; ")
	for i, part := range parts {
		for _, p := range partDetails {
			if m := p.re.FindStringSubmatch(part); m != nil {
				parts[i] = p.fill(lang, m)
				break
			}
		}
	}
	return strings.Join(parts, i18n.Semicolon(lang)+" ")
}
