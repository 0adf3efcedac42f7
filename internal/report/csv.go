package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"saferspaces/internal/i18n"
)

// bom makes Excel read the file as UTF-8; without it, umlauts come out as "Ã¤".
const bom = "\uFEFF"

// WriteCSV writes the report's matrix for spreadsheets, in the form German Excel opens with a
// double click: UTF-8 with a byte order mark, semicolons (Excel's separator where the decimal
// mark is a comma), CRLF line ends. The header is in lang; one row per learner follows with name,
// e-mail, organisation, last activity (the language's numeric date in loc, empty if never) and, per module in content order, the percentage and the best self-check score (empty
// without an attempt or without a self-check).
//
// Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
// return) is prefixed with a single quote, so a learner named "=HYPERLINK(…)" stays a name.
func WriteCSV(w io.Writer, r *Report, lang i18n.Lang, loc *time.Location) error {
	h := func(id string) string { return i18n.T(lang, "trainer.csv."+id) }
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	header := []string{h("name"), h("email"), h("organisation"), h("last_activity")}
	for _, m := range r.Modules {
		title := m.Title.In(lang)
		header = append(header, title+": "+h("percent"), title+": "+h("best"))
	}
	if err := cw.Write(escapeRow(header)); err != nil {
		return err
	}
	for _, l := range r.Learners {
		row := []string{l.Name, l.Email, l.Organisation, i18n.NumericDate(lang, l.LastActivity, loc)}
		for _, c := range l.Cells {
			best := ""
			if c.HasCheck && c.Attempts > 0 {
				best = strconv.Itoa(c.BestScore)
			}
			row = append(row, strconv.Itoa(c.Percent), best)
		}
		if err := cw.Write(escapeRow(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// escapeRow defuses formula injection (OWASP "CSV Injection") in every cell.
func escapeRow(row []string) []string {
	for i, s := range row {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			row[i] = "'" + s
		}
	}
	return row
}

// FileName is the download name of a cohort's CSV: the cohort name reduced to letters, digits and
// dashes (umlauts spelled out), so that no header injection or path trick survives and every
// operating system accepts it, e.g. "saferspaces-stadt-muenster-2026-03-20.csv".
func FileName(cohortName string, at time.Time) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(cohortName) {
		var s string
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			s = string(r)
		case r == 'ä':
			s = "ae"
		case r == 'ö':
			s = "oe"
		case r == 'ü':
			s = "ue"
		case r == 'ß':
			s = "ss"
		default:
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(s)
		if b.Len() >= 60 {
			break
		}
	}
	name := "saferspaces"
	if b.Len() > 0 {
		name += "-" + b.String()
	}
	return name + "-" + at.UTC().Format("2006-01-02") + ".csv"
}
