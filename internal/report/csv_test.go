package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"saferspaces/internal/report"
)

// csvRows writes the cohort's CSV for the viewer and reads it back, header first.
func csvRows(t *testing.T, w world, q report.Query, lang string) (raw string, rows [][]string) {
	t.Helper()
	e, err := w.svc.Export(context.Background(), w.nord, w.trainerT, "trainer", q)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(context.Background(), &buf, e, i18nLang(lang), time.UTC); err != nil {
		t.Fatal(err)
	}
	raw = buf.String()
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\uFEFF")))
	cr.Comma = ';'
	rows, err = cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return raw, rows
}

func TestWriteCSV(t *testing.T) {
	w := newWorld(t)
	// Names as learners type them: umlauts, and ones a spreadsheet would run as a formula.
	w.f.exec(`UPDATE users SET name = 'Jürgen Öztürk' WHERE id = ?`, w.anna)
	w.f.exec(`UPDATE users SET name = '=HYPERLINK("http://evil.example";"klick")' WHERE id = ?`, w.bernd)
	w.f.exec(`UPDATE users SET organisation = '@SUM(1+1)' WHERE id = ?`, w.clara)
	w.f.exec(`UPDATE users SET organisation = '-2+3' WHERE id = ?`, w.frank)

	raw, rows := csvRows(t, w, report.Query{}, "de")
	if !strings.HasPrefix(raw, "\xEF\xBB\xBF") {
		t.Fatalf("no UTF-8 byte order mark: %q", raw[:min(10, len(raw))])
	}
	body := strings.TrimPrefix(raw, "\xEF\xBB\xBF")
	if !strings.HasSuffix(body, "\r\n") || strings.Count(body, "\n") != strings.Count(body, "\r\n") {
		t.Error("lines must end with CRLF")
	}
	wantHeader := "Name;E-Mail;Organisation;Status;Inaktiv;Letzte Aktivität;Gesamtfortschritt (%);Module abgeschlossen;Selbsttest-Versuche;" +
		"Grundlagen öffentlicher Räume: Fortschritt (%);Grundlagen öffentlicher Räume: Bester Selbsttest (%);Grundlagen öffentlicher Räume: Versuche;" +
		"Übungen: Fortschritt (%);Übungen: Bester Selbsttest (%);Übungen: Versuche\r\n"
	if first := body[:strings.Index(body, "\r\n")+2]; first != wantHeader {
		t.Errorf("header\n got %q\nwant %q", first, wantHeader)
	}
	if !strings.Contains(body, "\r\nJürgen Öztürk;anna@example.org;Ordnungsamt Köln;aktiv;nein;18.03.2026;60;1;3;100;100;3;0;;0\r\n") {
		t.Errorf("Anna's row is not as the page shows it:\n%s", body)
	}
	if len(rows) != 1+5 {
		t.Fatalf("%d rows, want header + 5 learners", len(rows))
	}
	byEmail := map[string][]string{}
	for _, r := range rows[1:] {
		byEmail[r[1]] = r
	}
	for _, tt := range []struct {
		email string
		col   int
		want  string
	}{
		{"bernd@example.org", 0, "'=HYPERLINK(\"http://evil.example\";\"klick\")"},
		{"bernd@example.org", 3, "inaktiv"},
		{"bernd@example.org", 4, "ja"},
		{"bernd@example.org", 5, "02.03.2026"},
		{"bernd@example.org", 9, "33"},
		{"bernd@example.org", 10, ""}, // no attempt: empty, not 0
		{"clara@example.org", 2, "'@SUM(1+1)"},
		{"clara@example.org", 5, ""}, // never active
		{"dieter@example.org", 3, "gesperrt"},
		{"frank@example.org", 2, "'-2+3"},
		{"frank@example.org", 3, "abgeschlossen"},
		{"frank@example.org", 13, "100"},
	} {
		if got := byEmail[tt.email][tt.col]; got != tt.want {
			t.Errorf("%s col %d = %q, want %q", tt.email, tt.col, got, tt.want)
		}
	}
}

func TestWriteCSVEnglish(t *testing.T) {
	w := newWorld(t)
	_, rows := csvRows(t, w, report.Query{}, "en")
	if h := strings.Join(rows[0][:7], ";"); h != "Name;E-mail;Organisation;Status;Inactive;Last activity;Overall progress (%)" {
		t.Errorf("English header = %q", h)
	}
	if rows[1][5] != "2026-03-18" {
		t.Errorf("English date: %q", rows[1][5])
	}
}

// The page, the CSV and the XLSX say the same about every learner, in the same order, for the
// same view (here: sorted by progress, highest first).
func TestExportsAgreeWithPage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	q := report.Query{Sort: report.SortPercent, Desc: true}
	page, err := w.svc.Report(ctx, w.nord, w.trainerT, "trainer", q)
	if err != nil {
		t.Fatal(err)
	}
	_, rows := csvRows(t, w, q, "de")
	sheets := xlsxRows(t, w, q, "de")
	cohort := sheets["Nord"]
	if len(rows) != len(page.Learners)+1 || len(cohort) != len(page.Learners)+1 {
		t.Fatalf("page %d, CSV %d, XLSX %d rows", len(page.Learners), len(rows)-1, len(cohort)-1)
	}
	for i, l := range page.Learners {
		want := []string{l.Name, l.Email, l.Organisation, map[string]string{"active": "aktiv", "inactive": "inaktiv",
			"complete": "abgeschlossen", "disabled": "gesperrt", "overdue": "überfällig"}[l.Status()],
			strconv.Itoa(l.Percent), strconv.Itoa(l.ModulesDone), strconv.Itoa(l.Attempts)}
		for _, c := range l.Cells {
			want = append(want, strconv.Itoa(c.Percent), strconv.Itoa(c.Attempts))
		}
		pick := func(r []string) []string {
			got := []string{r[0], r[1], r[2], r[3], r[6], r[7], r[8]}
			for m := range l.Cells {
				got = append(got, r[9+3*m], r[11+3*m])
			}
			return got
		}
		if got := pick(rows[i+1]); !slices.Equal(got, want) {
			t.Errorf("CSV row %d = %q, page says %q", i+1, got, want)
		}
		if got := pick(cohort[i+1]); !slices.Equal(got, want) {
			t.Errorf("XLSX row %d = %q, page says %q", i+1, got, want)
		}
	}
}

// xlsxRows writes the cohort's workbook and reads every sheet back as text.
func xlsxRows(t *testing.T, w world, q report.Query, lang string) map[string][][]string {
	t.Helper()
	f := openXLSX(t, w, q, lang)
	out := map[string][][]string{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out
}

func openXLSX(t *testing.T, w world, q report.Query, lang string) *excelize.File {
	t.Helper()
	e, err := w.svc.Export(context.Background(), w.nord, w.trainerT, "trainer", q)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteXLSX(context.Background(), &buf, e, i18nLang(lang), time.UTC); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// The workbook holds real numbers, dates and booleans, a frozen header row, a sheet for the
// cohort and one per module.
func TestWriteXLSX(t *testing.T) {
	w := newWorld(t)
	f := openXLSX(t, w, report.Query{}, "de")
	if got, want := f.GetSheetList(), []string{"Nord", "Grundlagen öffentlicher Räume", "Übungen"}; !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	for _, sheet := range f.GetSheetList() {
		p, err := f.GetPanes(sheet)
		if err != nil || !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
			t.Errorf("%s: panes %+v, %v; want the header row frozen", sheet, p, err)
		}
	}
	// Row 2 is Anna (names in German order): last activity 18 March 2026, 60 %, alpha 100 % best 100, 3 attempts.
	cell := func(sheet, ref string) (typ excelize.CellType, shown, raw string) {
		t.Helper()
		typ, err := f.GetCellType(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		shown, _ = f.GetCellValue(sheet, ref)
		raw, _ = f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		return typ, shown, raw
	}
	if _, shown, _ := cell("Nord", "A2"); shown != "Anna Arndt" {
		t.Fatalf("A2 = %q", shown)
	}
	if typ, shown, raw := cell("Nord", "F2"); shown != "18.03.2026" || raw != "46099.375" || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("last activity: type %v, shown %q, raw %q; want a date cell 18.03.2026 (serial 46099.375)", typ, shown, raw)
	}
	if typ, shown, _ := cell("Nord", "G2"); shown != "60" || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("overall: type %v, %q; want the number 60", typ, shown)
	}
	if typ, shown, _ := cell("Nord", "E2"); typ != excelize.CellTypeBool || shown != "FALSE" {
		t.Errorf("inactive: type %v, %q; want the boolean FALSE", typ, shown)
	}
	if typ, shown, _ := cell("Nord", "E3"); typ != excelize.CellTypeBool || shown != "TRUE" {
		t.Errorf("Bernd inactive: type %v, %q; want TRUE", typ, shown)
	}
	if _, shown, _ := cell("Nord", "K3"); shown != "" {
		t.Errorf("Bernd's best score without an attempt = %q, want an empty cell", shown)
	}
	// The module sheet: Anna completed alpha on 4 March, passed, 2 lessons, 3 attempts, best 100.
	mod := "Grundlagen öffentlicher Räume"
	for ref, want := range map[string]string{"A1": "Name", "A2": "Anna Arndt", "D2": "2", "E2": "100", "F2": "3", "G2": "100", "H2": "TRUE", "I2": "04.03.2026"} {
		if _, shown, _ := cell(mod, ref); shown != want {
			t.Errorf("%s!%s = %q, want %q", mod, ref, shown, want)
		}
	}
	if typ, _, _ := cell(mod, "H2"); typ != excelize.CellTypeBool {
		t.Errorf("passed is a %v cell, want a boolean", typ)
	}
}

// German names sort and are found the way a German reader expects.
func TestGermanCollation(t *testing.T) {
	names := []string{"Zoë Zander", "Ülrich Ulm", "anna Arndt", "Müller, Max", "Mueller, Moritz", "Adam Öz", "Émile Ebert"}
	report.SortNames(names)
	want := []string{"Adam Öz", "anna Arndt", "Émile Ebert", "Mueller, Moritz", "Müller, Max", "Ülrich Ulm", "Zoë Zander"}
	if !slices.Equal(names, want) {
		t.Errorf("sorted = %q\nwant     %q", names, want)
	}
	for _, tt := range []struct {
		term, field string
		want        bool
	}{
		{"MÜLLER", "Müller, Max", true},
		{"müller", "MÜLLER", true},
		{"STRASSE", "Ordnungsamt Hauptstraße", true},
		{"zoë", "Zoë Zander", true},
		{"Mueller", "Müller", false}, // case folding, not transliteration
	} {
		if got := report.Matches(tt.term, tt.field); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.term, tt.field, got, tt.want)
		}
	}

	// The same through the report: the page sorts and searches by these rules.
	w := newWorld(t)
	w.f.exec(`UPDATE users SET name = 'Zoë Zander' WHERE id = ?`, w.anna)
	w.f.exec(`UPDATE users SET name = 'Ülrich Müller' WHERE id = ?`, w.bernd)
	r, err := w.svc.Report(context.Background(), w.nord, w.trainerT, "trainer", report.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range r.Learners {
		got = append(got, l.Name)
	}
	if want := []string{"Clara Christ", "Dieter Dormant", "Frank Fink", "Ülrich Müller", "Zoë Zander"}; !slices.Equal(got, want) {
		t.Errorf("page order = %q, want %q", got, want)
	}
	r, err = w.svc.Report(context.Background(), w.nord, w.trainerT, "trainer", report.Query{Search: "MÜLLER"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Learners) != 1 || r.Learners[0].Name != "Ülrich Müller" || r.Matches != 1 || r.Members != 5 {
		t.Errorf("search MÜLLER: %d of %d, %+v", r.Matches, r.Members, r.Learners)
	}
}

func TestFileName(t *testing.T) {
	at := time.Date(2026, time.March, 20, 23, 30, 0, 0, time.UTC)
	for in, want := range map[string][2]string{
		"Stadt Münster 2026":    {"saferspaces-stadt-münster-2026-2026-03-20.xlsx", "saferspaces-stadt-muenster-2026-2026-03-20.xlsx"},
		"Kohorte \"A\"\r\nX: y": {"saferspaces-kohorte-a-x-y-2026-03-20.xlsx", "saferspaces-kohorte-a-x-y-2026-03-20.xlsx"},
		"../../etc/passwd":      {"saferspaces-etc-passwd-2026-03-20.xlsx", "saferspaces-etc-passwd-2026-03-20.xlsx"},
		"東京":                    {"saferspaces-2026-03-20.xlsx", "saferspaces-2026-03-20.xlsx"},
		"  Große Straße  ":      {"saferspaces-große-straße-2026-03-20.xlsx", "saferspaces-grosse-strasse-2026-03-20.xlsx"},
		"Lyon – été":            {"saferspaces-lyon-été-2026-03-20.xlsx", "saferspaces-lyon-ete-2026-03-20.xlsx"},
	} {
		if got := report.FileName(in, at, "xlsx"); got != want[0] {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want[0])
		}
		if got := report.ASCIIFileName(in, at, "xlsx"); got != want[1] {
			t.Errorf("ASCIIFileName(%q) = %q, want %q", in, got, want[1])
		}
		// The header carries both; a client reading RFC 5987 gets the accented name back.
		_, params, err := mime.ParseMediaType(report.ContentDisposition(in, at, "xlsx"))
		if err != nil || params["filename"] != want[0] {
			t.Errorf("Content-Disposition for %q: %v, %q", in, err, params)
		}
	}
}

// Downloads at the same time do not wait on each other for the read pool's connections (more
// of them than the pool has).
func TestExportsAtTheSameTime(t *testing.T) {
	w := newWorld(t)
	defer report.SetExportBatch(report.SetExportBatch(2)) // several batches per export
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errc := make(chan error, 12)
	for range cap(errc) {
		go func() {
			e, err := w.svc.Export(ctx, w.nord, w.trainerT, "trainer", report.Query{})
			if err == nil {
				err = report.WriteCSV(ctx, io.Discard, e, "de", time.UTC)
			}
			errc <- err
		}()
	}
	for range cap(errc) {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}
