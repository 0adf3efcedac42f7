// Package codes makes and reads the short codes people copy by hand — certificate codes and
// second-factor recovery codes: 12 symbols of Crockford's base32 (60 random bits), written
// XXXX-XXXX-XXXX.
package codes

import (
	"crypto/rand"
	"strings"
)

// alphabet is Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper is
// not misread. 32 symbols divide 256, so masking a random byte keeps every symbol equally likely.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// New makes a code of 12 random symbols (60 bits) formatted XXXX-XXXX-XXXX.
func New() string {
	var b [12]byte
	rand.Read(b[:])
	var sb strings.Builder
	for i, v := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[v&31])
	}
	return sb.String()
}

// Normalize turns a code as a person may type it (any case, with or without dashes or spaces, O
// for 0, I or L for 1, as Crockford's base32 allows) into its canonical form. ok is false when it
// cannot be a code at all, so lookups can answer "not found" without a query.
func Normalize(s string) (code string, ok bool) {
	if len(s) > 40 {
		return "", false
	}
	var sym []byte
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 127 || strings.IndexByte(alphabet, byte(r)) < 0 {
			return "", false
		}
		sym = append(sym, byte(r))
	}
	if len(sym) != 12 {
		return "", false
	}
	return string(sym[0:4]) + "-" + string(sym[4:8]) + "-" + string(sym[8:12]), true
}
