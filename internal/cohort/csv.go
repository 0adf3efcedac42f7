package cohort

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// bom makes Excel read the file as UTF-8; without it, umlauts come out as "Ã¤".
const bom = "\uFEFF"

// csvHeader holds the fixed column names per language; module columns add the module title.
var csvHeader = map[string]struct{ name, email, organisation, lastActivity, percent, best string }{
	"de": {"Name", "E-Mail", "Organisation", "Letzte Aktivität", "Fortschritt (%)", "Bester Selbsttest (%)"},
	"en": {"Name", "E-mail", "Organisation", "Last activity", "progress (%)", "best self-check score (%)"},
}

// WriteCSV writes the report's matrix for spreadsheets, in the form German Excel opens with a
// double click: UTF-8 with a byte order mark, semicolons (Excel's separator where the decimal
// mark is a comma), CRLF line ends. The header is in lang; one row per learner follows with name,
// e-mail, organisation, last activity (dd.mm.yyyy in German, yyyy-mm-dd in English, empty if
// never) and, per module in content order, the percentage and the best self-check score (empty
// without an attempt or without a self-check).
//
// Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
// return) is prefixed with a single quote, so a learner named "=HYPERLINK(…)" stays a name.
func WriteCSV(w io.Writer, r *Report, lang string) error {
	h, ok := csvHeader[lang]
	if !ok {
		lang, h = "de", csvHeader["de"]
	}
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	header := []string{h.name, h.email, h.organisation, h.lastActivity}
	for _, m := range r.Modules {
		title := m.Title.In(lang)
		header = append(header, title+": "+h.percent, title+": "+h.best)
	}
	if err := cw.Write(escapeRow(header)); err != nil {
		return err
	}
	for _, l := range r.Learners {
		row := []string{l.Name, l.Email, l.Organisation, csvDate(l.LastActivity, lang)}
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

func csvDate(t time.Time, lang string) string {
	switch {
	case t.IsZero():
		return ""
	}
	t = t.Local() // the operator's zone (serve --timezone); stored times are UTC
	switch {
	case lang == "en":
		return t.Format("2006-01-02")
	}
	return t.Format("02.01.2006")
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
