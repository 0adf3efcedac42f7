package web_test

import (
	"bytes"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"saferspaces/internal/audit"
)

var certLink = regexp.MustCompile(`/certificates/([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`)

// Passing the self-check after the lessons completes the module: the certificate is issued on
// the spot, shown on the result page, listed, e-mailed and publicly verifiable.
func TestPassingIssuesAVerifiableCertificate(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u, b := learnerSession(t, h, userSpec{Name: "Jürgen Müßig"})
	b.post("/modules/alpha/lessons/one/complete", nil)
	b.post("/modules/alpha/lessons/two/complete", nil)
	if p := b.follow(b.post("/modules/alpha/check", failAnswers)); certLink.MatchString(p.Body) {
		t.Fatal("a failed attempt shows a certificate")
	}
	p := b.follow(b.post("/modules/alpha/check", passAnswers))
	mustContain(t, p, "Ihr Zertifikat für „Modul Alpha über Plätze“ ist ausgestellt.")
	m := certLink.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no certificate link on the result page:\n%s", mainOf(p.Body))
	}
	code, path := m[1], m[0]

	mustContain(t, b.get("/"), "100\u00a0% erledigt · 2 von 2 Lektionen erledigt", `<p class="state done">Abgeschlossen</p>`, `href="`+path+`"`,
		"Meine Zertifikate (1)")
	mustContain(t, b.get("/modules/alpha"), "Modul abgeschlossen.", `href="`+path+`"`)
	mustContain(t, b.get("/certificates"), "Modul Alpha über Plätze", code, "4.\u00a0Mai 2026", path+"/pdf")
	if got := h.lastLink(u.Email, "/certificates/"); got != path {
		t.Errorf("certificate mail links %q, want %q", got, path)
	}

	// The public page needs no sign-in and confirms name, module, date and issuer.
	anon := h.browser()
	p = anon.get(path)
	if p.Status != http.StatusOK {
		t.Fatalf("verification page: %d", p.Status)
	}
	mustContain(t, p, "Jürgen Müßig", "Modul Alpha über Plätze", "4.\u00a0Mai 2026", `datetime="2026-05-04"`, "saferspaces", code,
		`<img src="`+path+`/qr.png"`, "Druckfunktion Ihres Browsers", path+"/pdf")
	if strings.Contains(strings.ToLower(p.Body), "<script") {
		t.Error("the certificate page carries a script")
	}
	// Typed in lower case and without dashes: sent on to the canonical address.
	p = anon.get("/certificates/" + strings.ToLower(strings.ReplaceAll(code, "-", "")))
	if p.Status != http.StatusMovedPermanently || p.Location() != path {
		t.Errorf("lower-case code: %d → %q", p.Status, p.Location())
	}

	// The QR code is a PNG.
	p = anon.get(path + "/qr.png")
	if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	if img, err := png.Decode(strings.NewReader(p.Body)); err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("qr.png does not decode: %v", err)
	}
	// The PDF downloads as an attachment named after the code, with the name in its metadata.
	p = anon.get(path + "/pdf")
	if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment;") ||
		!strings.Contains(p.Header.Get("Content-Disposition"), code+".pdf") {
		t.Fatalf("pdf: %d %v", p.Status, p.Header)
	}
	if !strings.HasPrefix(p.Body, "%PDF-") || !bytes.Contains([]byte(p.Body), utf16Title("Jürgen Müßig")) {
		t.Error("the PDF is not a PDF with the holder's name in its title")
	}
}

// utf16Title is how fpdf writes a UTF-8 title: UTF-16BE inside a literal string.
func utf16Title(s string) []byte {
	var out []byte
	for _, r := range s {
		out = append(out, byte(r>>8), byte(r))
	}
	return out
}

func TestProgrammeCertificateAfterTheLastModule(t *testing.T) {
	h := newHarness(t, learningContent(t))
	_, b := learnerSession(t, h, userSpec{Lang: "en"})
	b.post("/modules/beta/lessons/three/complete", nil)
	b.follow(b.post("/modules/beta/check", fullAnswers))
	b.follow(b.post("/modules/alpha/check", fullAnswers))
	b.post("/modules/alpha/lessons/one/complete", nil)
	p := b.follow(b.post("/modules/alpha/lessons/two/complete", nil))
	mustContain(t, p, "Module complete")
	p = b.get("/certificates")
	mustContain(t, p, "Module Alpha on squares", "Module Beta on squares", "Whole programme")
	if n := len(certLink.FindAllString(p.Body, -1)); n < 3 {
		t.Errorf("%d certificate links, want 3 certificates", n)
	}
	mustContain(t, b.get("/"), "You have completed the whole programme.", "100% done")
}

func TestUnknownCertificatesAre404(t *testing.T) {
	h := newHarness(t, learningContent(t))
	anon := h.browser()
	for _, path := range []string{
		"/certificates/ABCD-EFGH-JKMN", "/certificates/ABCD-EFGH-JKMN/pdf", "/certificates/ABCD-EFGH-JKMN/qr.png",
		"/certificates/nope", "/certificates/ABCD-EFGH-JKMU", "/certificates/" + strings.Repeat("A", 500),
	} {
		if p := anon.get(path); p.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, p.Status)
		}
	}
	// The own list needs sign-in.
	if p := anon.get("/certificates"); p.Status != http.StatusSeeOther {
		t.Errorf("anonymous /certificates = %d", p.Status)
	}
}

// Erasing a user takes their name off their certificates: the page still confirms module, date
// and code, says the name is no longer stored, and names the operator as issuer.
func TestErasedHoldersCertificateNamesNobody(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u, b := learnerSession(t, h, userSpec{Name: "Erika Muster"})
	b.post("/modules/beta/lessons/three/complete", nil)
	p := b.follow(b.post("/modules/beta/check", fullAnswers))
	path := certLink.FindString(p.Body)
	if path == "" {
		t.Fatal("no certificate")
	}
	h.exec(`UPDATE users SET status = 'erased', name = '—' WHERE id = ?`, u.ID)
	p = h.browser().get(path)
	if p.Status != http.StatusOK || strings.Contains(p.Body, "Erika") || !strings.Contains(p.Body, "Name nicht mehr gespeichert") {
		t.Errorf("erased holder's certificate: %d\n%s", p.Status, p.Body)
	}
	if pdf := h.browser().get(path + "/pdf"); pdf.Status != http.StatusOK || strings.Contains(pdf.Body, "Erika") {
		t.Errorf("erased holder's PDF: %d", pdf.Status)
	}
}

// The public certificate PDF is generated once and then served from memory with an ETag: a
// second download is the same file, a revalidation is a 304 without a body; a renamed holder gets
// a new file, and so does an erased one (without a name).
func TestCertificatePDFIsCachedButNeverStale(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u, b := learnerSession(t, h, userSpec{Name: "Jürgen Müßig"})
	b.post("/modules/alpha/lessons/one/complete", nil)
	b.post("/modules/alpha/lessons/two/complete", nil)
	p := b.follow(b.post("/modules/alpha/check", passAnswers))
	m := certLink.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("no certificate")
	}
	pdf := m[0] + "/pdf"
	anon := h.browser()
	first := anon.get(pdf)
	etag := first.Header.Get("ETag")
	if first.Status != http.StatusOK || etag == "" || !strings.HasPrefix(first.Body, "%PDF") {
		t.Fatalf("first download: %d, ETag %q", first.Status, etag)
	}
	if second := anon.get(pdf); second.Body != first.Body || second.Header.Get("ETag") != etag {
		t.Error("the second download differs from the first")
	}
	if p := anon.do("GET", pdf, nil, http.Header{"If-None-Match": {etag}}); p.Status != http.StatusNotModified || p.Body != "" {
		t.Errorf("revalidation: %d with %d bytes", p.Status, len(p.Body))
	}
	qr := anon.get(m[0] + "/qr.png")
	if p := anon.do("GET", m[0]+"/qr.png", nil, http.Header{"If-None-Match": {qr.Header.Get("ETag")}}); p.Status != http.StatusNotModified {
		t.Errorf("QR revalidation: %d", p.Status)
	}

	h.exec(`UPDATE users SET name = 'Jürgen Neumann' WHERE id = ?`, u.ID)
	renamed := anon.get(pdf)
	if renamed.Header.Get("ETag") == etag || renamed.Body == first.Body {
		t.Error("after the holder's rename the cached PDF was served")
	}
	// An erased holder's certificate stays verifiable but names nobody (issue 8): the cached file
	// with the name is never served again.
	h.exec(`UPDATE users SET status = 'erased', name = '', email = 'erased-' || id || '@invalid' WHERE id = ?`, u.ID)
	p = anon.do("GET", pdf, nil, http.Header{"If-None-Match": {renamed.Header.Get("ETag")}})
	if p.Status != http.StatusOK || p.Header.Get("ETag") == renamed.Header.Get("ETag") || p.Body == renamed.Body {
		t.Errorf("erased holder's PDF: %d, ETag %q (the renamed holder's was %q)", p.Status, p.Header.Get("ETag"), renamed.Header.Get("ETag"))
	}
}

// An erasure leaves no certificate PDF with the holder's name in the server's memory.
func TestErasureEmptiesTheCertificateCache(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u, b := learnerSession(t, h, userSpec{Name: "Jürgen Müßig"})
	b.post("/modules/alpha/lessons/one/complete", nil)
	b.post("/modules/alpha/lessons/two/complete", nil)
	m := certLink.FindStringSubmatch(b.follow(b.post("/modules/alpha/check", passAnswers)).Body)
	if m == nil {
		t.Fatal("no certificate")
	}
	if p := h.browser().get(m[0] + "/pdf"); p.Status != http.StatusOK || h.srv.CachedFiles() == 0 {
		t.Fatalf("download: %d, %d files cached", p.Status, h.srv.CachedFiles())
	}
	if err := h.acc.Erase(t.Context(), audit.CLI, u.ID); err != nil {
		t.Fatal(err)
	}
	if n := h.srv.CachedFiles(); n != 0 {
		t.Errorf("%d generated files kept after the erasure", n)
	}
}
