package account

import "strings"

// normalEmail is how addresses are stored and compared: trimmed; the column collates NOCASE.
func normalEmail(s string) string { return strings.TrimSpace(s) }
