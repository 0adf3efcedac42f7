package report

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"saferspaces/internal/i18n"
)

// WriteXLSX writes the export as an Excel workbook: a sheet for the cohort with the columns of
// Columns, and a sheet per module (lessons done, percentage, attempts, best score, passed, date
// completed). Dates are real date cells (shown in the language's date format, in loc), numbers
// are numbers and flags are booleans, so the file sorts and sums in a spreadsheet; every sheet's
// header row is frozen. Rows go through excelize's stream writers batch by batch: the learners'
// records are never all in memory. Text is not escaped: a cell typed as text is never run as a
// formula.
func WriteXLSX(ctx context.Context, w io.Writer, e *Export, lang i18n.Lang, loc *time.Location) error {
	f := excelize.NewFile()
	defer f.Close()
	h := func(id string) string { return i18n.T(lang, "trainer.csv."+id) }
	dateFmt := i18n.T(lang, "trainer.xlsx.date_format")
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	headStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}

	used := map[string]bool{}
	first := sheetName(e.Cohort.Name, used)
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return err
	}
	cohort, err := newSheet(f, first, e.Columns(lang), headStyle, 9+3*len(e.Modules))
	if err != nil {
		return err
	}
	modCols := []string{h("name"), h("email"), h("organisation"), h("lessons_done"), h("percent"), h("module_attempts"),
		h("best"), h("passed"), h("completed_at")}
	sheets := make([]*sheet, len(e.Modules))
	for i, m := range e.Modules {
		name := sheetName(m.Title.In(lang), used)
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		if sheets[i], err = newSheet(f, name, modCols, headStyle, len(modCols)); err != nil {
			return err
		}
	}

	date := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		// Excel has no time zones: the cell holds the operator's wall-clock time.
		y, mo, d := t.In(loc).Date()
		hh, mm, ss := t.In(loc).Clock()
		return excelize.Cell{StyleID: dateStyle, Value: time.Date(y, mo, d, hh, mm, ss, 0, time.UTC)}
	}
	vals := make([]any, 0, 9+3*len(e.Modules))
	err = e.Each(ctx, func(l Learner) error {
		vals = append(vals[:0], l.Name, l.Email, l.Organisation, statusText(lang, l), l.Inactive, date(l.LastActivity),
			l.Percent, l.ModulesDone, l.Attempts)
		for _, c := range l.Cells {
			var best any
			if c.HasCheck && c.Attempts > 0 {
				best = c.BestScore
			}
			vals = append(vals, c.Percent, best, c.Attempts)
		}
		if err := cohort.add(vals); err != nil {
			return err
		}
		for i, c := range l.Cells {
			var best, passed any
			if c.HasCheck {
				passed = c.Passed
				if c.Attempts > 0 {
					best = c.BestScore
				}
			}
			row := []any{l.Name, l.Email, l.Organisation, c.LessonsDone, c.Percent, c.Attempts, best, passed, date(c.CompletedAt)}
			if err := sheets[i].add(row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range append([]*sheet{cohort}, sheets...) {
		if err := s.sw.Flush(); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// sheet is one stream-written sheet and its next row.
type sheet struct {
	sw  *excelize.StreamWriter
	row int
}

func newSheet(f *excelize.File, name string, header []string, headStyle, cols int) (*sheet, error) {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := sw.SetColWidth(1, 3, 28); err != nil {
		return nil, err
	}
	if cols > 3 {
		if err := sw.SetColWidth(4, cols, 14); err != nil {
			return nil, err
		}
	}
	cells := make([]any, len(header))
	for i, t := range header {
		cells[i] = excelize.Cell{StyleID: headStyle, Value: t}
	}
	s := &sheet{sw: sw, row: 1}
	return s, s.add(cells)
}

func (s *sheet) add(vals []any) error {
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	s.row++
	return s.sw.SetRow(cell, vals)
}

// sheetName makes a valid, unique sheet name: at most 31 characters, none of : \ / ? * [ ].
func sheetName(title string, used map[string]bool) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]'`, r) {
			return ' '
		}
		return r
	}, strings.Join(strings.Fields(title), " "))
	clean = strings.TrimSpace(clean)
	if clean == "" {
		clean = "Sheet"
	}
	name := truncate(clean, 31)
	for i := 2; used[strings.ToLower(name)]; i++ {
		suffix := fmt.Sprintf(" (%d)", i)
		name = truncate(clean, 31-len(suffix)) + suffix
	}
	used[strings.ToLower(name)] = true
	return name
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}
