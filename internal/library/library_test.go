package library_test

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode"
	"unicode/utf16"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/library"
	"saferspaces/internal/testkit"
	"saferspaces/modules"
)

var stamp = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func link(p string) string { return "https://training.stadt.example" + p }

// fixture is the small test content plus a glossary and a tool that exercise the sorting and
// every part of a tool's PDF.
func fixture(t *testing.T, extra map[string]string) *content.Catalog {
	t.Helper()
	fsys := testkit.ContentFS(testkit.Module{ID: "alpha", Lessons: []string{"one"}})
	for name, text := range extra {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	cat, err := content.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

const glossaryYAML = `terms:
  - id: zufahrt
    term: {de: "Zufahrtsschutz", en: "Hostile vehicle mitigation", fr: "Protection contre les véhicules-béliers"}
    definition: {de: "Z.", en: "Z."}
    see: [amt, oeffentlich]
  - id: amt
    term: {de: "Ämter", en: "Offices", fr: "Écart"}
    definition: {de: "Ä.", en: "O."}
  - id: abstand
    term: {de: "Abstand", en: "stand-off", fr: "Eau"}
    definition: {de: "A.", en: "S."}
  - id: oeffentlich
    term: {de: "öffentlicher Raum", en: "Public space", fr: "espace public"}
    definition: {de: "Ö.", en: "P."}
  - id: ort
    term: {de: "Ortsbegehung", en: "site survey", fr: "Visite de site"}
    definition: {de: "O.", en: "S."}
`

func names(letters []library.Letter) (initials []string, order []string) {
	for _, l := range letters {
		initials = append(initials, l.Letter)
		for _, e := range l.Entries {
			order = append(order, e.Name)
		}
	}
	return initials, order
}

// The glossary reads alphabetically in each reader's language: German files Ä under A and Ö
// under O, French ignores accents at first, case does not split the order, and a missing
// translation falls back to English and is sorted by what the reader sees.
func TestGlossaryOrderPerLanguage(t *testing.T) {
	cat := fixture(t, map[string]string{"glossary.yaml": glossaryYAML})
	s := library.New(cat, "saferspaces", nil, func() time.Time { return stamp })
	for _, tc := range []struct {
		lang     i18n.Lang
		initials []string
		order    []string
	}{
		{"de", []string{"A", "O", "Z"}, []string{"Abstand", "Ämter", "öffentlicher Raum", "Ortsbegehung", "Zufahrtsschutz"}},
		{"en", []string{"H", "O", "P", "S"}, []string{"Hostile vehicle mitigation", "Offices", "Public space", "site survey", "stand-off"}},
		{"fr", []string{"E", "P", "V"}, []string{"Eau", "Écart", "espace public", "Protection contre les véhicules-béliers", "Visite de site"}},
		// Italian has no term of its own here: English terms in Italian order.
		{"it", []string{"H", "O", "P", "S"}, []string{"Hostile vehicle mitigation", "Offices", "Public space", "site survey", "stand-off"}},
	} {
		initials, order := names(s.Glossary(tc.lang))
		if !slices.Equal(initials, tc.initials) || !slices.Equal(order, tc.order) {
			t.Errorf("%s: %v %q, want %v %q", tc.lang, initials, order, tc.initials, tc.order)
		}
	}
	// "see also" is resolved to terms and sorted for the reader too.
	for _, l := range s.Glossary("de") {
		for _, e := range l.Entries {
			if e.Term.ID != "zufahrt" {
				continue
			}
			var see []string
			for _, r := range e.See {
				see = append(see, r.Term.In("de"))
			}
			if !slices.Equal(see, []string{"Ämter", "öffentlicher Raum"}) {
				t.Errorf("see also = %q", see)
			}
		}
	}
	if g := s.Glossary("de"); g[0].ID != "letter-a" {
		t.Errorf("letter anchor %q", g[0].ID)
	}
}

// The shipped glossary: every term is on the page of every language exactly once, under the
// letter its name starts with.
func TestShippedGlossaryIsComplete(t *testing.T) {
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	s := library.New(cat, "saferspaces", nil, func() time.Time { return stamp })
	for _, lang := range i18n.Languages() {
		seen := map[string]bool{}
		for _, l := range s.Glossary(lang) {
			for _, e := range l.Entries {
				if seen[e.Term.ID] {
					t.Errorf("%s: %s twice", lang, e.Term.ID)
				}
				seen[e.Term.ID] = true
				if e.Name != e.Term.Term[lang] {
					t.Errorf("%s: %s shown as %q, its %s term is %q", lang, e.Term.ID, e.Name, lang, e.Term.Term[lang])
				}
			}
		}
		if len(seen) != len(cat.Glossary) {
			t.Errorf("%s: %d of %d terms", lang, len(seen), len(cat.Glossary))
		}
	}
}

const toolMD = `---
title: "Prüfliste für Plätze « Übung »"
---
Ein Absatz mit **fettem** und *kursivem* Text und einem [Link](/modules/alpha) zur Lektion.

## Abschnitt mit Tabelle

| Nr. | Prüfpunkt | Befund | Zuständig | Frist | Erledigt |
|---|---|---|---|---|---|
ROWS
- [ ] Erste Aufgabe mit einer leeren Box
- [ ] Zweite Aufgabe
- [x] Erledigte Aufgabe

1. Nummeriert
2. Weiter

- Punkt
  - Unterpunkt
`

func toolFixture(t *testing.T) *content.Catalog {
	var rows strings.Builder
	for i := range 60 {
		rows.WriteString("| " + string(rune('A'+i%26)) + " | Eine längere Beschreibung, die in der schmalen Spalte umbricht | | | | |\n")
	}
	md := strings.Replace(toolMD, "ROWS\n", rows.String()+"\n", 1)
	return fixture(t, map[string]string{
		"tools/01-checklist.de.md": md,
		"tools/01-checklist.en.md": "---\ntitle: \"Checklist for squares\"\n---\nText.\n",
	})
}

// rawPages returns the PDF's page content streams, inflated, in file order.
func rawPages(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for _, m := range regexp.MustCompile(`(?s)stream\r?\n(.*?)endstream`).FindAllSubmatch(b, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue // not compressed: not a page
		}
		data, err := io.ReadAll(r)
		if err == nil && bytes.Contains(data, []byte(")Tj")) {
			out = append(out, string(data))
		}
	}
	return out
}

// pages returns the text each page draws: the operands of the Tj operators decoded (fpdf writes
// Unicode text as UTF-16BE) and joined. Words are drawn one by one with their spaces, so running
// text reads as written.
func pages(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for _, data := range rawPages(t, b) {
		var text strings.Builder
		for _, op := range regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)Tj`).FindAllStringSubmatch(data, -1) {
			raw := regexp.MustCompile(`\\(.)`).ReplaceAllStringFunc(op[1], func(e string) string {
				if e[1] == 'r' {
					return "\r"
				}
				return e[1:]
			})
			text.WriteString(decodeUTF16([]byte(raw)))
		}
		out = append(out, text.String())
	}
	return out
}

func decodeUTF16(raw []byte) string {
	u := make([]uint16, 0, len(raw)/2)
	for k := 0; k+1 < len(raw); k += 2 {
		u = append(u, uint16(raw[k])<<8|uint16(raw[k+1]))
	}
	return string(utf16.Decode(u))
}

// infoString reads /Key (…) from the document information, decoding UTF-16 with BOM.
func infoString(b []byte, key string) string {
	m := regexp.MustCompile(`/` + key + ` \(((?:\\.|[^\\)])*)\)`).FindSubmatch(b)
	if m == nil {
		return ""
	}
	raw := regexp.MustCompile(`\\(.)`).ReplaceAll(m[1], []byte("$1"))
	if !bytes.HasPrefix(raw, []byte{0xFE, 0xFF}) {
		return string(raw)
	}
	return decodeUTF16(raw[2:])
}

func TestToolPDF(t *testing.T) {
	cat := toolFixture(t)
	s := library.New(cat, "saferspaces", link, func() time.Time { return stamp })
	f, err := s.ToolPDF("checklist", "de")
	if err != nil {
		t.Fatal(err)
	}
	b := f.Data
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) {
		t.Fatal("not a PDF file")
	}
	if f.Name != "saferspaces-checklist-de.pdf" || f.Lang != "de" || len(f.Hash) != 24 {
		t.Errorf("file %q %s %q", f.Name, f.Lang, f.Hash)
	}
	const title = "Prüfliste für Plätze « Übung »"
	for key, want := range map[string]string{"Title": title, "Author": "saferspaces", "Creator": "saferspaces", "Subject": "Arbeitshilfen"} {
		if got := infoString(b, key); got != want {
			t.Errorf("/%s = %q, want %q", key, got, want)
		}
	}
	if !bytes.Contains(b, []byte("/Lang (de-DE)")) {
		t.Error("no /Lang de-DE in the catalog")
	}
	if !bytes.Contains(b, []byte("/MediaBox [0 0 595.28 841.89]")) {
		t.Error("not A4 portrait")
	}
	if !bytes.Contains(b, []byte("/URI (https://training.stadt.example/modules/alpha)")) {
		t.Error("the platform link is not an absolute link")
	}
	texts := pages(t, b)
	if len(texts) < 2 {
		t.Fatalf("%d pages, want the long table to need at least 2", len(texts))
	}
	// Spaces between words are moves, not drawn characters: compare without them.
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
	all := squeeze(strings.Join(texts, ""))
	for _, want := range []string{title, "Ein Absatz mit fettem und kursivem Text und einem Link zur Lektion.",
		"Abschnitt mit Tabelle", "Erste Aufgabe mit einer leeren Box", "• Punkt – Unterpunkt", "1. Nummeriert"} {
		if !strings.Contains(all, squeeze(want)) {
			t.Errorf("%q is not drawn", want)
		}
	}
	for i, p := range texts {
		// The footer: tool title, platform and "page n of N" with N filled in.
		footer := title + "saferspaces · Seite " + strconv.Itoa(i+1) + " von " + strconv.Itoa(len(texts))
		if !strings.HasSuffix(p, footer) {
			t.Errorf("page %d lacks the footer %q", i+1, footer)
		}
	}
	// The long table continues with its header on the next page.
	header := "Nr.PrüfpunktBefundZuständigFristErledigt"
	if !strings.Contains(texts[0], header) || !strings.HasPrefix(texts[1], header) {
		t.Errorf("the table header is not repeated on the page the table continues on:\n%.200s", texts[1])
	}
	// Three tasks, three square boxes of 3.4 mm (9.64 pt), the done one crossed.
	if n := strings.Count(strings.Join(rawPages(t, b), ""), " 9.64 -9.64 re S"); n != 3 {
		t.Errorf("%d task boxes, want 3", n)
	}
	// The same tool and language is printed once and kept.
	again, _ := s.ToolPDF("checklist", "de")
	if again != f {
		t.Error("the PDF is printed again")
	}
	// A reader of a language the tool lacks gets the English file.
	if fr, err := s.ToolPDF("checklist", "fr"); err != nil || fr.Lang != "en" || infoString(fr.Data, "Title") != "Checklist for squares" {
		t.Errorf("French reader: %v %+v", err, fr)
	}
	if _, err := s.ToolPDF("nope", "de"); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown tool: %v", err)
	}
}

// Every shipped tool prints in every language, and every character of their texts is in the Go
// fonts, so nothing prints as an empty box.
func TestShippedToolsPrint(t *testing.T) {
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	var fonts []*sfnt.Font
	for _, ttf := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF, gobolditalic.TTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			t.Fatal(err)
		}
		fonts = append(fonts, f)
	}
	var buf sfnt.Buffer
	s := library.New(cat, "saferspaces", link, func() time.Time { return stamp })
	for _, d := range cat.Tools {
		for _, lang := range i18n.Languages() {
			f, err := s.ToolPDF(d.ID, lang)
			if err != nil {
				t.Fatalf("%s %s: %v", d.ID, lang, err)
			}
			if f.Lang != lang || infoString(f.Data, "Title") != d.Title[lang] {
				t.Errorf("%s %s: %s, title %q", d.ID, lang, f.Lang, infoString(f.Data, "Title"))
			}
			for _, r := range d.Title[lang] + string(d.Source[lang]) {
				if unicode.IsControl(r) {
					continue
				}
				for _, font := range fonts {
					if g, err := font.GlyphIndex(&buf, r); err != nil || g == 0 {
						t.Errorf("%s %s: %q (%U) is not in the Go fonts", d.ID, lang, r, r)
						break
					}
				}
			}
		}
	}
}

// If poppler's pdftotext is installed, a real reader gets the text back, umlauts, accents and
// guillemets included.
func TestToolPDFReadsBackWithPdftotext(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed")
	}
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	s := library.New(cat, "saferspaces", link, func() time.Time { return stamp })
	for _, lang := range []i18n.Lang{"de", "fr"} {
		f, err := s.ToolPDF("responsibility-matrix", lang)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), f.Name)
		if err := os.WriteFile(file, f.Data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-enc", "UTF-8", file, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		for _, want := range []string{cat.Tool("responsibility-matrix").Title[lang], i18n.T(lang, "library.pdf.page", "Page", 1, "Pages", strings.Count(string(out), "\f"))} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: pdftotext output lacks %q", lang, want)
			}
		}
	}
}

// Services built without content (commands that need none) have an empty library.
func TestNoContent(t *testing.T) {
	s := library.New(nil, "saferspaces", nil, func() time.Time { return stamp })
	if g := s.Glossary("de"); len(g) != 0 {
		t.Errorf("glossary %v", g)
	}
	if _, err := s.ToolPDF("x", "de"); !errs.Is(err, errs.NotFound) {
		t.Errorf("tool: %v", err)
	}
}
