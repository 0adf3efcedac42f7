package report

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"saferspaces/internal/i18n"
)

// bom makes Excel read the file as UTF-8; without it, umlauts come out as "Ã¤".
const bom = "\uFEFF"

// Columns are the export's columns, the same in the CSV and in the XLSX's cohort sheet: what the
// page shows of each learner, then per module in content order its percentage, best self-check
// score and number of attempts.
func (e *Export) Columns(lang i18n.Lang) []string {
	h := func(id string) string { return i18n.T(lang, "trainer.csv."+id) }
	cols := []string{h("name"), h("email"), h("organisation"), h("status"), h("inactive"), h("last_activity"),
		h("overall"), h("modules_done"), h("attempts")}
	for _, m := range e.Modules {
		title := m.Title.In(lang)
		cols = append(cols, title+": "+h("percent"), title+": "+h("best"), title+": "+h("module_attempts"))
	}
	return cols
}

// WriteCSV streams the export for spreadsheets, in the form German Excel opens with a double
// click: UTF-8 with a byte order mark, semicolons (Excel's separator where the decimal mark is a
// comma), CRLF line ends. The header is in lang; one row per learner follows with the columns of
// Columns: dates in the language's numeric form in loc (empty if never), percentages as whole
// numbers, a best score empty without an attempt or without a self-check.
//
// Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
// return) is prefixed with a single quote, so a learner named "=HYPERLINK(…)" stays a name.
func WriteCSV(ctx context.Context, w io.Writer, e *Export, lang i18n.Lang, loc *time.Location) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	if _, err := bw.WriteString(bom); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.Comma = ';'
	cw.UseCRLF = true
	if err := cw.Write(escapeRow(e.Columns(lang))); err != nil {
		return err
	}
	rec := make([]string, 0, 9+3*len(e.Modules))
	err := e.Each(ctx, func(l Learner) error {
		rec = append(rec[:0], l.Name, l.Email, l.Organisation, statusText(lang, l), yesNo(lang, l.Inactive),
			i18n.NumericDate(lang, l.LastActivity, loc), strconv.Itoa(l.Percent), strconv.Itoa(l.ModulesDone),
			strconv.Itoa(l.Attempts))
		for _, c := range l.Cells {
			best := ""
			if c.HasCheck && c.Attempts > 0 {
				best = strconv.Itoa(c.BestScore)
			}
			rec = append(rec, strconv.Itoa(c.Percent), best, strconv.Itoa(c.Attempts))
		}
		return cw.Write(escapeRow(rec))
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
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
