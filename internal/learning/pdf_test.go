package learning_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
)

const verifyURL = "https://training.example.org/certificates/"

func issuedCertificate(t *testing.T) *learning.Certificate {
	t.Helper()
	f := newFixture(t)
	f.complete(t, "beta", "three")
	code := f.submit(t, "beta", perfect).Issued[0].Code
	c, err := f.svc.CertificateByCode(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The PDF is a well-formed file: header, objects where the cross-reference table says they are,
// trailer and end marker.
func TestPDFStructure(t *testing.T) {
	c := issuedCertificate(t)
	var buf bytes.Buffer
	if err := c.WritePDF(&buf, "de", verifyURL+c.Code, time.UTC); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) {
		t.Fatalf("starts with %q", b[:min(len(b), 8)])
	}
	if !bytes.HasSuffix(bytes.TrimRight(b, "\r\n"), []byte("%%EOF")) {
		t.Fatal("no end-of-file marker")
	}
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if xref >= len(b) || !bytes.HasPrefix(b[xref:], []byte("xref")) {
		t.Fatalf("startxref %d does not point at the xref table", xref)
	}
	if !bytes.Contains(b[xref:], []byte("trailer")) || !bytes.Contains(b[xref:], []byte("/Root")) {
		t.Fatal("trailer or /Root missing")
	}
	// Every in-use entry of the table points at "N 0 obj".
	entries := regexp.MustCompile(`(\d{10}) 00000 n`).FindAllSubmatch(b[xref:], -1)
	if len(entries) < 10 {
		t.Fatalf("only %d objects", len(entries))
	}
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if want := strconv.Itoa(i+1) + " 0 obj"; !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Errorf("object %d: offset %d holds %q", i+1, off, b[off:min(len(b), off+12)])
		}
	}
	for _, want := range []string{"/MediaBox [0 0 841.89 595.28]", "/FontFile2", "/Subtype /Image", "/URI (" + verifyURL + c.Code + ")"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("PDF lacks %s", want)
		}
	}
}

// The learner's name with umlauts and ß is in the PDF twice over: in the document title (UTF-16
// metadata) and as the text drawn on the page, which fpdf writes as Unicode code points in a font
// whose ToUnicode map is the identity, so viewers, search and copy see the same letters.
func TestPDFContainsTheNameWithUmlauts(t *testing.T) {
	c := issuedCertificate(t)
	const name = "Jürgen Müßig"
	for _, lang := range []i18n.Lang{"de", "en"} {
		var buf bytes.Buffer
		if err := c.WritePDFUncompressed(&buf, lang, verifyURL+c.Code, time.UTC); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		title, ok := pdfInfoString(b, "Title")
		if !ok || !strings.Contains(title, name) {
			t.Errorf("%s: /Title = %q, want it to contain %q", lang, title, name)
		}
		if subject, _ := pdfInfoString(b, "Subject"); subject != "Modul beta" && subject != "Module beta" {
			t.Errorf("%s: /Subject = %q", lang, subject)
		}
		drawn := "(" + pdfEscape(utf16BE(name)) + ")Tj"
		if !bytes.Contains(b, []byte(drawn)) {
			t.Errorf("%s: the page does not draw the name as Unicode text", lang)
		}
		if !bytes.Contains(b, []byte("<0000> <FFFF> <0000>")) || !bytes.Contains(b, []byte("/Encoding /Identity-H")) {
			t.Errorf("%s: the font's ToUnicode map is not the identity", lang)
		}
		heading := map[i18n.Lang]string{"de": "Zertifikat", "en": "Certificate"}[lang]
		if !bytes.Contains(b, []byte("("+pdfEscape(utf16BE(heading))+")Tj")) {
			t.Errorf("%s: heading %q not drawn", lang, heading)
		}
		if !bytes.Contains(b, []byte("("+pdfEscape(utf16BE(c.Code))+")Tj")) {
			t.Errorf("%s: verification code not drawn", lang)
		}
	}
}

// If poppler's pdftotext is installed, a real PDF reader must read the name back.
func TestPDFReadsBackWithPdftotext(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed")
	}
	c := issuedCertificate(t)
	var buf bytes.Buffer
	if err := c.WritePDF(&buf, "de", verifyURL+c.Code, time.UTC); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Jürgen Müßig", "Zertifikat", "Modul beta", c.Code} {
		if !strings.Contains(string(out), want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, out)
		}
	}
}

// pdfInfoString reads a literal string entry such as /Title (…) and decodes it (UTF-16BE with
// byte-order mark, as fpdf writes UTF-8 metadata).
func pdfInfoString(b []byte, key string) (string, bool) {
	i := bytes.Index(b, []byte("/"+key+" ("))
	if i < 0 {
		return "", false
	}
	var raw []byte
	for j := i + len(key) + 3; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
			switch b[j] {
			case 'n':
				raw = append(raw, '\n')
			case 'r':
				raw = append(raw, '\r')
			default:
				raw = append(raw, b[j])
			}
			continue
		case ')':
			if !bytes.HasPrefix(raw, []byte{0xFE, 0xFF}) || len(raw)%2 != 0 {
				return string(raw), true
			}
			u := make([]uint16, 0, len(raw)/2)
			for k := 2; k+1 < len(raw); k += 2 {
				u = append(u, uint16(raw[k])<<8|uint16(raw[k+1]))
			}
			return string(utf16.Decode(u)), true
		}
		raw = append(raw, b[j])
	}
	return "", false
}

func utf16BE(s string) string {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return string(out)
}

func pdfEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`, "\r", `\r`).Replace(s)
}

// programmeCertificate completes both fixture modules and returns the programme's certificate.
func programmeCertificate(t *testing.T) *learning.Certificate {
	t.Helper()
	f := newFixture(t)
	f.complete(t, "alpha", "one", "two")
	f.submit(t, "alpha", perfect)
	f.complete(t, "beta", "three")
	var code string
	for _, c := range f.submit(t, "beta", perfect).Issued {
		if c.Programme() {
			code = c.Code
		}
	}
	if code == "" {
		t.Fatal("no programme certificate")
	}
	c, err := f.svc.CertificateByCode(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The PDF says what it is and in which language, where readers and assistive technology look:
// /Title and /Lang, XMP metadata with title and language linked from the catalog, and the viewer
// told to show the title rather than the file name. The cross-reference table stays exact (the
// catalog is finished after fpdf wrote it).
func TestPDFTitleAndLanguageMetadata(t *testing.T) {
	c := programmeCertificate(t)
	for _, lang := range []i18n.Lang{"de", "en", "fr", "it"} {
		var buf bytes.Buffer
		if err := c.WritePDFUncompressed(&buf, lang, verifyURL+c.Code, time.UTC); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		tag := i18n.Tag(lang)
		catalog := regexp.MustCompile(`(?s)/Type /Catalog(.*?)>>\nendobj`).FindSubmatch(b)
		if catalog == nil {
			t.Fatalf("%s: no catalog", lang)
		}
		for _, want := range []string{"/Lang (" + tag + ")", "/ViewerPreferences << /DisplayDocTitle true >>"} {
			if !bytes.Contains(catalog[1], []byte(want)) {
				t.Errorf("%s: catalog lacks %s:\n%s", lang, want, catalog[1])
			}
		}
		meta := regexp.MustCompile(`/Metadata (\d+) 0 R`).FindSubmatch(catalog[1])
		if meta == nil || !bytes.Contains(b, []byte("\n"+string(meta[1])+" 0 obj\n<< /Type /Metadata /Subtype /XML")) {
			t.Fatalf("%s: the catalog does not link the XMP metadata", lang)
		}
		title, _ := pdfInfoString(b, "Title")
		if !strings.Contains(title, "Jürgen Müßig") {
			t.Errorf("%s: /Title = %q", lang, title)
		}
		for _, want := range []string{"<dc:language><rdf:Bag><rdf:li>" + tag + "</rdf:li>", "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">" + title + "<"} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("%s: XMP lacks %s", lang, want)
			}
		}
		checkXref(t, b)
	}
}

// checkXref verifies that every entry of the cross-reference table points at its object.
func checkXref(t *testing.T, b []byte) {
	t.Helper()
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(b[xref:], []byte("xref")) {
		t.Fatalf("startxref %d does not point at the xref table", xref)
	}
	for i, e := range regexp.MustCompile(`(\d{10}) 00000 n`).FindAllSubmatch(b[xref:], -1) {
		off, _ := strconv.Atoi(string(e[1]))
		if want := strconv.Itoa(i+1) + " 0 obj"; !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Errorf("object %d: offset %d holds %q", i+1, off, b[off:min(len(b), off+12)])
		}
	}
}

// A certificate worth filing: the programme's lists its modules with their study time and the
// total in hours; every certificate has a line to sign and names its issuer; each language
// writes its own quotation marks and spacing.
func TestPDFContents(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed")
	}
	text := func(c *learning.Certificate, lang i18n.Lang) string {
		t.Helper()
		var buf bytes.Buffer
		if err := c.WritePDF(&buf, lang, verifyURL+c.Code, time.UTC); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "c.pdf")
		if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-enc", "UTF-8", file, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(string(out)), " ") // words as read, spacing normalised
	}
	prog := programmeCertificate(t)
	got := text(prog, "de")
	for _, want := range []string{"Zertifikat", "Gesamtprogramm", "Das Programm umfasst 2 Module", "zusammen 2 Stunden",
		"1. Modul alpha (60 Minuten)", "2. Modul beta (60 Minuten)", "Datum", "Unterschrift der Schulungsleitung",
		"Ausgestellt von saferspaces", "Prüfcode:", prog.Code} {
		if !strings.Contains(got, want) {
			t.Errorf("programme (de) lacks %q:\n%s", want, got)
		}
	}
	mod := issuedCertificate(t)
	for lang, wants := range map[i18n.Lang][]string{
		"de": {"„Modul beta“", "Lernzeit des Moduls: etwa 1 Stunde", "am 2. März 2026 erfolgreich abgeschlossen"},
		"en": {"“Module beta”", "Study time of the module: about 1 hour", "on 2 March 2026", "Signature of the course leader", "Issued by saferspaces"},
		"fr": {"« Module beta »", "le 2 mars 2026", "Code de vérification :", "Délivrée par saferspaces"},
		"it": {"«Module beta»", "in data 2 marzo 2026", "Firma della direzione del corso"},
	} {
		got := text(mod, lang)
		for _, want := range wants {
			if !strings.Contains(got, want) {
				t.Errorf("%s lacks %q:\n%s", lang, want, got)
			}
		}
	}
}
