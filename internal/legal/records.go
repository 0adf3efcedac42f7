package legal

import (
	"strings"

	"saferspaces/internal/config"
	"saferspaces/internal/i18n"
)

// Record is one line of the record of processing (GDPR Art. 30): which personal data, where,
// why, on which legal basis, how long and what deletes it. The privacy notice (/privacy) and the
// table in docs/data-protection.md are both made from Records, so they cannot drift apart.
type Record struct {
	ID     string   // catalog keys legal.rec.ID.data, .purpose, .deleted
	Tables []string // where it is stored ("" entries for outside the database)
	Basis  string   // catalog key suffix legal.basis.X
	// Kept says how long, in lang, with the periods in force.
	Kept func(lang i18n.Lang, r config.Retention) string
}

// Records lists every personal field the platform keeps.
func Records() []Record {
	fixed := func(key string) func(i18n.Lang, config.Retention) string {
		return func(lang i18n.Lang, _ config.Retention) string { return i18n.T(lang, key) }
	}
	return []Record{
		{ID: "account", Tables: []string{"users"}, Basis: "task",
			Kept: func(lang i18n.Lang, r config.Retention) string {
				return i18n.T(lang, "legal.kept.account", "Inactive", Period(lang, r.Inactive), "Warning", Period(lang, r.Warning))
			}},
		{ID: "credentials", Tables: []string{"users", "trusted_devices", "tokens"}, Basis: "security", Kept: fixed("legal.kept.credentials")},
		{ID: "application", Tables: []string{"users"}, Basis: "task",
			Kept: func(lang i18n.Lang, r config.Retention) string {
				return i18n.T(lang, "legal.kept.application", "Rejected", Period(lang, r.Rejected), "Undecided", Period(lang, r.Undecided))
			}},
		{ID: "acceptance", Tables: []string{"declaration_acceptances"}, Basis: "proof",
			Kept: func(lang i18n.Lang, r config.Retention) string {
				return i18n.T(lang, "legal.kept.acceptance", "Period", Period(lang, r.Acceptances))
			}},
		{ID: "sessions", Tables: []string{"sessions"}, Basis: "security", Kept: fixed("legal.kept.sessions")},
		{ID: "failures", Tables: []string{"login_failures"}, Basis: "security", Kept: fixed("legal.kept.failures")},
		{ID: "cohorts", Tables: []string{"cohort_members", "cohort_trainers"}, Basis: "task", Kept: fixed("legal.kept.with_account")},
		{ID: "second_factor", Tables: []string{"second_factors", "recovery_codes"}, Basis: "security", Kept: fixed("legal.kept.second_factor")},
		{ID: "identities", Tables: []string{"user_identities"}, Basis: "task", Kept: fixed("legal.kept.with_account")},
		{ID: "learning", Tables: []string{"lesson_completions", "lesson_visits", "check_attempts", "check_stats", "check_drafts", "certificates",
			"learner_progress", "learner_module_progress"}, Basis: "task",
			Kept: fixed("legal.kept.learning")},
		{ID: "xapi", Tables: []string{"xapi_statements"}, Basis: "task", Kept: fixed("legal.kept.learning")},
		{ID: "reminders", Tables: []string{"reminders"}, Basis: "task", Kept: fixed("legal.kept.reminders")},
		{ID: "mail", Tables: []string{"mail_outbox", "DATA/mail/*.eml"}, Basis: "task",
			Kept: func(lang i18n.Lang, r config.Retention) string {
				return i18n.T(lang, "legal.kept.mail", "Period", Period(lang, r.Mail))
			}},
		{ID: "audit", Tables: []string{"audit_log"}, Basis: "security",
			Kept: func(lang i18n.Lang, r config.Retention) string {
				return i18n.T(lang, "legal.kept.audit", "Period", Period(lang, r.Audit))
			}},
		{ID: "feedback", Tables: []string{"accessibility_feedback"}, Basis: "feedback",
			Kept: func(lang i18n.Lang, r config.Retention) string {
				return i18n.T(lang, "legal.kept.feedback", "Period", Period(lang, r.Feedback))
			}},
		{ID: "server_log", Tables: []string{""}, Basis: "security", Kept: fixed("legal.kept.server_log")},
	}
}

// Row is a record in one language.
type Row struct {
	Data, Purpose, Basis, Kept, Deleted string
	Tables                              []string
}

// Row writes the record in lang with the periods of r.
func (rec Record) Row(lang i18n.Lang, r config.Retention) Row {
	k := "legal.rec." + rec.ID
	return Row{
		Data:    i18n.T(lang, k+".data"),
		Purpose: i18n.T(lang, k+".purpose"),
		Basis:   i18n.T(lang, "legal.basis."+rec.Basis),
		Kept:    rec.Kept(lang, r),
		Deleted: i18n.T(lang, k+".deleted"),
		Tables:  rec.Tables,
	}
}

// Period writes a retention period in lang: "12 Monate", "30 days", "3 ans".
func Period(lang i18n.Lang, p config.Period) string {
	if p.Off() {
		return i18n.T(lang, "legal.period.off")
	}
	return i18n.N(lang, "legal.period."+p.Unit, p.N)
}

// MarkdownTable writes the record of processing as a Markdown table in lang, with the tables
// where each kind of data is stored: the generated part of docs/data-protection.md.
func MarkdownTable(lang i18n.Lang, r config.Retention) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join([]string{i18n.T(lang, "legal.col.data"), "tables", i18n.T(lang, "legal.col.purpose"),
		i18n.T(lang, "legal.col.basis"), i18n.T(lang, "legal.col.kept"), i18n.T(lang, "legal.col.deleted")}, " | ") + " |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, rec := range Records() {
		row := rec.Row(lang, r)
		var tables []string
		for _, t := range row.Tables {
			if t == "" {
				t = "server log (stderr)"
			}
			tables = append(tables, "`"+t+"`")
		}
		b.WriteString("| " + strings.Join([]string{row.Data, strings.Join(tables, ", "), row.Purpose, row.Basis, row.Kept, row.Deleted}, " | ") + " |\n")
	}
	return b.String()
}
