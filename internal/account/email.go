package account

import "strings"

// normalEmail is how addresses are stored and compared: trimmed, with the domain in lower case.
// Domains are case-insensitive, also in Unicode (MÜNCHEN.de is münchen.de), which SQLite's NOCASE
// collation only knows for ASCII; the local part is kept as typed and compared with NOCASE.
func normalEmail(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[:i+1] + strings.ToLower(s[i+1:])
	}
	return s
}
