package config

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Brand is the operator's look: a colour and a logo, both optional (serve --brand-color, --logo).
// The colour becomes KERN's action colour (buttons, links, progress) and the header's accent; the
// logo stands beside the wordmark.
type Brand struct {
	Color string // #RRGGBB; empty: KERN's own blue
	Logo  string // path of an SVG or PNG file; empty: the built-in mark
}

// MinBrandContrast is what the brand colour must reach against white: WCAG 2.2 AA for normal text
// (1.4.3), because white text sits on the colour (buttons) and the colour is text on white (links).
const MinBrandContrast = 4.5

// maxLogo keeps a logo a logo: it is held in memory and sent with every first page view.
const maxLogo = 512 << 10

// BrandFlags registers --brand-color and --logo.
func (b *Brand) BrandFlags(fs *flag.FlagSet) {
	fs.StringVar(&b.Color, "brand-color", b.Color, "the operator's `colour` as #RRGGBB for buttons, links and the header accent; needs a contrast of at least 4.5:1 with white")
	fs.StringVar(&b.Logo, "logo", b.Logo, "`file` (SVG or PNG, up to 512 KiB) with the operator's logo, shown in the header beside the wordmark")
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Validate checks the colour's form and contrast and that the logo is a readable SVG or PNG.
func (b Brand) Validate() error {
	if b.Color != "" {
		if !hexColor.MatchString(b.Color) {
			return fmt.Errorf("--brand-color %q: want a colour as #RRGGBB, e.g. #1d4f91", b.Color)
		}
		if r := Contrast(b.Color, "#ffffff"); r < MinBrandContrast {
			return fmt.Errorf("--brand-color %s: contrast with white is %.2f:1, below the 4.5:1 that WCAG AA asks of text (white text on buttons, links on white); choose a darker shade", b.Color, r)
		}
	}
	if b.Logo != "" {
		if _, _, err := b.ReadLogo(); err != nil {
			return err
		}
	}
	return nil
}

// ReadLogo reads --logo: its bytes and its file extension (".svg" or ".png").
func (b Brand) ReadLogo() ([]byte, string, error) {
	ext := strings.ToLower(filepath.Ext(b.Logo))
	if ext != ".svg" && ext != ".png" {
		return nil, "", fmt.Errorf("--logo %q: want an .svg or .png file", b.Logo)
	}
	st, err := os.Stat(b.Logo)
	if err != nil {
		return nil, "", fmt.Errorf("--logo %q: %v", b.Logo, reason(err))
	}
	if st.IsDir() || st.Size() == 0 || st.Size() > maxLogo {
		return nil, "", fmt.Errorf("--logo %q: want a file of 1 byte to 512 KiB, it has %d bytes", b.Logo, st.Size())
	}
	data, err := os.ReadFile(b.Logo)
	if err != nil {
		return nil, "", fmt.Errorf("--logo %q: %v", b.Logo, reason(err))
	}
	switch ext {
	case ".png":
		if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
			return nil, "", fmt.Errorf("--logo %q: not a PNG image", b.Logo)
		}
	case ".svg":
		if !bytes.Contains(data[:min(len(data), 4096)], []byte("<svg")) {
			return nil, "", fmt.Errorf("--logo %q: not an SVG image (no <svg element at its start)", b.Logo)
		}
	}
	return data, ext, nil
}

// reason shortens an *os.PathError to its reason; the flag message names the file already.
func reason(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Contrast is the WCAG 2 contrast ratio of two #RRGGBB colours (1 to 21).
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(c[i:i+2], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
}

// DarkVariant is the brand colour for the dark theme: mixed with white until it reaches 7:1
// against black, so links and the wordmark stay readable on KERN's dark background and black
// text stays readable on buttons.
func DarkVariant(c string) string {
	for i := 0; i <= 100; i += 5 {
		m := mix(c, i)
		if Contrast(m, "#000000") >= 7 {
			return m
		}
	}
	return "#ffffff"
}

// mix blends c with white: pct percent white.
func mix(c string, pct int) string {
	out := "#"
	for i := 1; i < 7; i += 2 {
		v, _ := strconv.ParseUint(c[i:i+2], 16, 8)
		m := float64(v) + (255-float64(v))*float64(pct)/100
		out += fmt.Sprintf("%02x", int(math.Round(m)))
	}
	return out
}
