package config

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is a retention period in calendar units, as the declaration promises them ("12 months",
// "3 years"): one documented form, a whole number followed by d (days), mo (months) or y (years),
// e.g. 30d, 12mo, 3y. "0" switches a rule off. It is a flag.Value.
type Period struct {
	N    int
	Unit string // "d", "mo" or "y"; "" only for the zero period
}

// Days, Months and Years make periods.
func Days(n int) Period   { return Period{n, "d"} }
func Months(n int) Period { return Period{n, "mo"} }
func Years(n int) Period  { return Period{n, "y"} }

// ParsePeriod reads 30d, 12mo, 3y or 0.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return Period{}, nil
	}
	for _, unit := range []string{"mo", "d", "y"} {
		if num, ok := strings.CutSuffix(s, unit); ok {
			n, err := strconv.Atoi(num)
			if err != nil || n <= 0 || n > 100000 || strings.HasPrefix(num, "+") {
				break
			}
			return Period{n, unit}, nil
		}
	}
	return Period{}, fmt.Errorf("%q: want a whole number followed by d, mo or y, e.g. 30d, 12mo, 3y (0 switches the rule off)", s)
}

// String writes the period as ParsePeriod reads it.
func (p Period) String() string {
	if p.Off() {
		return "0"
	}
	return strconv.Itoa(p.N) + p.Unit
}

// Set implements flag.Value.
func (p *Period) Set(s string) error {
	v, err := ParsePeriod(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Off reports whether the rule is switched off.
func (p Period) Off() bool { return p.N == 0 }

// Before is t minus the period (the cut-off: what is older was kept long enough).
func (p Period) Before(t time.Time) time.Time {
	switch p.Unit {
	case "d":
		return t.AddDate(0, 0, -p.N)
	case "mo":
		return t.AddDate(0, -p.N, 0)
	case "y":
		return t.AddDate(-p.N, 0, 0)
	}
	return t
}

// After is t plus the period.
func (p Period) After(t time.Time) time.Time {
	switch p.Unit {
	case "d":
		return t.AddDate(0, 0, p.N)
	case "mo":
		return t.AddDate(0, p.N, 0)
	case "y":
		return t.AddDate(p.N, 0, 0)
	}
	return t
}

// Retention holds the periods of the retention rules (saferspaces purge, and daily in serve). The
// defaults are what the usage-rights declaration promises.
type Retention struct {
	Inactive    Period // approved or disabled accounts without sign-in are anonymised after this
	Warning     Period // how long before that the warning e-mail goes out
	Acceptances Period // declaration acceptance records (the newest of a live account is kept)
	Audit       Period // audit lines that name a person
	Rejected    Period // rejected applicants, counted from the decision
	Undecided   Period // applicants nobody decided on, counted from the registration
	Mail        Period // outbox rows (sent or failed) and their .eml files
	Feedback    Period // accessibility feedback, counted from when an admin marked it done
}

// DefaultRetention is what the declaration (version 2) says.
func DefaultRetention() Retention {
	return Retention{
		Inactive: Months(12), Warning: Days(30), Acceptances: Years(3), Audit: Months(12),
		Rejected: Days(30), Undecided: Days(90), Mail: Days(90), Feedback: Months(12),
	}
}

// RetentionFlags registers the periods as --retain-… flags.
func (r *Retention) RetentionFlags(fs *flag.FlagSet) {
	fs.Var(&r.Inactive, "retain-inactive", "`period` after the last sign-in when an account is anonymised (30d, 12mo, 3y; 0: never)")
	fs.Var(&r.Warning, "retain-warning", "`period` before anonymisation when the warning e-mail is sent")
	fs.Var(&r.Acceptances, "retain-acceptances", "`period` for which declaration acceptance records are kept")
	fs.Var(&r.Audit, "retain-audit", "`period` for which audit lines naming a person are kept")
	fs.Var(&r.Rejected, "retain-rejected", "`period` after rejection when a rejected applicant is deleted")
	fs.Var(&r.Undecided, "retain-undecided", "`period` after registration when an applicant nobody decided on is deleted")
	fs.Var(&r.Mail, "retain-mail", "`period` for which sent and failed e-mails (outbox rows and .eml files) are kept")
	fs.Var(&r.Feedback, "retain-feedback", "`period` for which accessibility feedback is kept after it was marked done")
}

// Validate checks that the warning comes before the anonymisation.
func (r *Retention) Validate() error {
	if r.Inactive.Off() || r.Warning.Off() {
		return nil
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !r.Warning.Before(now).After(r.Inactive.Before(now)) {
		return fmt.Errorf("--retain-warning %s must be shorter than --retain-inactive %s", r.Warning, r.Inactive)
	}
	return nil
}
