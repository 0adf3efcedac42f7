package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"saferspaces/internal/app"
	"saferspaces/internal/config"
)

// withBrand gives the platform the operator's colour and an SVG logo (serve --brand-color, --logo).
func withBrand(t *testing.T, color string) harnessOption {
	logo := filepath.Join(t.TempDir(), "wappen.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" fill="#7a1f1f"/></svg>`), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(p *app.Parts) { p.Config.Brand = config.Brand{Color: color, Logo: logo} }
}

// The operator's colour reaches KERN's theme tokens through a stylesheet of its own, and the logo
// is served from memory under a content-hash URL, as an SVG that cannot run anything.
func TestBrandColourAndLogo(t *testing.T) {
	h := newHarness(t, withOperator(), withBrand(t, "#7A1F1F"))
	b := h.browser()
	home := b.get("/")
	css := regexp.MustCompile(`<link rel="stylesheet" href="(/static/brand/brand\.css\?v=[0-9a-f]+)">`).FindStringSubmatch(home.Body)
	logo := regexp.MustCompile(`<img src="(/static/brand/logo\.svg\?v=[0-9a-f]+)" alt="">`).FindStringSubmatch(home.Body)
	if css == nil || logo == nil {
		t.Fatalf("start page: brand stylesheet %v, logo %v\n%s", css, logo, home.Body[:min(len(home.Body), 3000)])
	}
	// after KERN and app.css, so that it wins
	if strings.Index(home.Body, "css/app.css") > strings.Index(home.Body, "brand/brand.css") {
		t.Error("the brand stylesheet comes before app.css")
	}
	if !strings.Contains(home.Body, `<span class="operator">Stadt Beispielhausen</span>`) {
		t.Error("the header does not name the operator")
	}
	s := b.get(css[1])
	if s.Status != http.StatusOK || !strings.Contains(s.Body, "--kern-color-action-default: #7a1f1f") || !strings.Contains(s.Body, "--ss-brand: #7a1f1f") {
		t.Errorf("brand.css: %d\n%s", s.Status, s.Body)
	}
	dark := config.DarkVariant("#7a1f1f")
	if !strings.Contains(s.Body, "--kern-color-action-default: "+dark) {
		t.Errorf("brand.css lacks the dark variant %s:\n%s", dark, s.Body)
	}
	l := b.get(logo[1])
	if l.Status != http.StatusOK || l.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(l.Header.Get("Content-Security-Policy"), "sandbox") ||
		!strings.Contains(l.Header.Get("Cache-Control"), "immutable") || !strings.Contains(l.Body, "#7a1f1f") {
		t.Errorf("logo: %d %v\n%s", l.Status, l.Header, l.Body)
	}
	// Without the flags: no brand stylesheet, the built-in mark.
	plain := newHarness(t).browser().get("/")
	if strings.Contains(plain.Body, "brand/") || !strings.Contains(plain.Body, `<a href="/" class="wordmark"><svg`) {
		t.Error("without --brand-color and --logo the page still links brand files or lacks the built-in mark")
	}
}
