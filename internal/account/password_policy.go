package account

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/unicode/norm"

	"saferspaces/internal/errs"
)

// Password length bounds, counted in characters (runes) after NFC normalisation. There are no
// composition rules (NIST SP 800-63B, ASVS 2.1): length and a common-password list do the work.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// Catalog keys of the reasons a password is refused. The web layer translates them; Min and Max
// are passed to the message as template data.
const (
	PasswordTooShort      = "auth.password.too_short"
	PasswordTooLong       = "auth.password.too_long"
	PasswordCommon        = "auth.password.common"
	PasswordContainsEmail = "auth.password.contains_email"
)

// PasswordError says why a password was refused. It travels inside an errs.Invalid, so callers
// that do not care about the reason still see the right kind.
type PasswordError struct {
	Key      string // one of the Password* catalog keys
	Min, Max int
}

func (e *PasswordError) Error() string { return e.Key }

func passwordError(key, msg string) error {
	return errs.Wrap(errs.Invalid, &PasswordError{Key: key, Min: MinPasswordLen, Max: MaxPasswordLen}, msg)
}

// CheckPassword applies the password policy: 12 to 128 characters of any kind, not a common
// password (compared case-insensitively, also with trailing digits and punctuation stripped, so
// "Password2024!" counts as "password"), and not containing the e-mail address or its local part.
func CheckPassword(pw, email string) error {
	pw = norm.NFC.String(pw)
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return passwordError(PasswordTooShort, "the password must have at least 12 characters")
	}
	if n > MaxPasswordLen {
		return passwordError(PasswordTooLong, "the password may have at most 128 characters")
	}
	lower := strings.ToLower(pw)
	if isCommonPassword(lower) {
		return passwordError(PasswordCommon, "this password is too common; choose another one")
	}
	email = strings.ToLower(normalEmail(email))
	if email != "" && strings.Contains(lower, email) {
		return passwordError(PasswordContainsEmail, "the password must not contain your e-mail address")
	}
	if local, _, ok := strings.Cut(email, "@"); ok && utf8.RuneCountInString(local) >= 3 && strings.Contains(lower, local) {
		return passwordError(PasswordContainsEmail, "the password must not contain your e-mail address")
	}
	return nil
}

// isCommonPassword reports whether the lower-cased pw is on the list, with or without trailing
// digits and punctuation, or is one character repeated.
func isCommonPassword(lower string) bool {
	set := commonPasswords()
	if set[lower] {
		return true
	}
	stripped := strings.TrimRightFunc(lower, func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
	})
	if stripped != lower && set[stripped] {
		return true
	}
	first, size := utf8.DecodeRuneInString(lower)
	return strings.Count(lower, string(first))*size == len(lower)
}

// germanCommon adds what a German-speaking audience picks that the (English-heavy) zxcvbn list
// misses, and the platform's own vocabulary.
var germanCommon = []string{
	"passwort", "kennwort", "hallo", "hallohallo", "schatz", "schatzi", "geheim", "sommer", "winter",
	"fussball", "fußball", "ichliebedich", "willkommen", "sonnenschein", "sonne", "blume", "mausi",
	"deutschland", "berlin", "hamburg", "muenchen", "münchen", "köln", "koeln", "schalke", "bayern",
	"borussia", "qwertz", "qwertzuiop", "asdfghjkl", "ysxcvbnm", "saferspaces", "sicherheit",
	"ordnungsamt", "verwaltung", "rathaus", "stadtverwaltung", "polizei", "feuerwehr", "passwort1",
	"einszweidrei", "keinpasswort", "neuespasswort", "startpasswort", "anfang", "test", "testtest",
}

// commonPasswords is built on first use from zxcvbn's frequency list (30,000 leaked passwords,
// shipped with github.com/trustelem/zxcvbn) plus germanCommon.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]bool, len(list)+len(germanCommon))
	for _, p := range list {
		set[strings.ToLower(p)] = true
	}
	for _, p := range germanCommon {
		set[p] = true
	}
	return set
})
