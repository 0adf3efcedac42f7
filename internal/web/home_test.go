package web_test

import (
	"saferspaces/internal/content"
	"saferspaces/modules"

	"net/http"
	"strings"
	"testing"
)

// Before signing in, visitors see what the programme teaches: every module's title and summary
// in their language, but no lesson text.
func TestStartPageShowsTheProgramme(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	p := b.get("/")
	if p.Status != http.StatusOK {
		t.Fatalf("start page: %d", p.Status)
	}
	if n, want := strings.Count(p.Body, "<li><h3>"), len(shippedContent(t).Modules); n != want {
		t.Errorf("%d modules on the start page, want %d", n, want)
	}
	for _, want := range []string{"Risiko- und Verwundbarkeitsanalyse", "4 Lektionen · etwa"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("start page lacks %q", want)
		}
	}
	if strings.Contains(p.Body, `href="/modules/`) {
		t.Error("the start page links into the gated lessons")
	}
	b.header.Set("Accept-Language", "en")
	if p := b.get("/"); !strings.Contains(p.Body, "Risk and vulnerability assessment") {
		t.Error("English visitors do not see English module titles")
	}
}

// shippedContent is the embedded default content.
func shippedContent(t testing.TB) *content.Catalog {
	t.Helper()
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
