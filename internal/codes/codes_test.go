package codes_test

import (
	"regexp"
	"testing"

	"saferspaces/internal/codes"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"abcd-efgh-jkmn":  "ABCD-EFGH-JKMN",
		"OOOO-IIII-LLLL":  "0000-1111-1111", // Crockford: O is 0, I and L are 1
		"abcdefghjkmn":    "ABCD-EFGH-JKMN",
		"abcd efgh jkmn":  "ABCD-EFGH-JKMN",
		"ABCD-EFGH-JKMU":  "", // U is not in the alphabet
		"ABCD-EFGH-JKM":   "",
		"ABCD-EFGH-JKMNÄ": "",
	} {
		got, ok := codes.Normalize(in)
		if got != want || ok != (want != "") {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestNewIsCanonical(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)
	for range 200 {
		c := codes.New()
		if n, ok := codes.Normalize(c); !shape.MatchString(c) || !ok || n != c {
			t.Fatalf("New() = %q (normalised %q, %v)", c, n, ok)
		}
	}
}
