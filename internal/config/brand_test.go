package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"saferspaces/internal/config"
)

// The brand colour must be #RRGGBB with AA contrast against white; the message names the flag
// and gives the ratio.
func TestBrandColor(t *testing.T) {
	for _, tc := range []struct{ color, want string }{
		{"", ""},
		{"#1d4f91", ""},
		{"#000000", ""},
		{"#767676", ""}, // 4.54:1, just enough
		{"#777777", "4.48:1"},
		{"#ffcc00", "--brand-color #ffcc00: contrast with white is 1.51:1"},
		{"1d4f91", "want a colour as #RRGGBB"},
		{"#1d4f9", "want a colour as #RRGGBB"},
		{"blue", "--brand-color"},
	} {
		err := config.Brand{Color: tc.color}.Validate()
		if tc.want == "" && err != nil {
			t.Errorf("%q: %v", tc.color, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: error %v, want one with %q", tc.color, err, tc.want)
		}
	}
	if r := config.Contrast("#000000", "#ffffff"); r < 20.99 || r > 21.01 {
		t.Errorf("black on white: %.2f", r)
	}
	// The dark theme's variant is light enough for black text and the dark background.
	for _, c := range []string{"#1d4f91", "#000000", "#7a1f1f"} {
		if d := config.DarkVariant(c); config.Contrast(d, "#000000") < 7 {
			t.Errorf("dark variant of %s: %s, %.2f:1 against black", c, d, config.Contrast(d, "#000000"))
		}
	}
}

// The logo is an SVG or PNG file that can be read; anything else names --logo.
func TestBrandLogo(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := []string{
		write("logo.svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>`),
		write("logo.PNG", "\x89PNG\r\n\x1a\n...."),
	}
	for _, p := range ok {
		if err := (config.Brand{Logo: p}).Validate(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{
		filepath.Join(dir, "missing.svg"),
		write("logo.gif", "GIF89a"),
		write("fake.png", "<svg/>"),
		write("text.svg", "just text"),
		write("empty.svg", ""),
		dir,
	} {
		err := (config.Brand{Logo: p}).Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "--logo ") {
			t.Errorf("%s: %v, want an error naming --logo", p, err)
		}
	}
}
