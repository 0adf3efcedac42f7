package account_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
)

func TestCheckPassword(t *testing.T) {
	const email = "erika.muster@stadt-beispiel.de"
	for _, c := range []struct {
		pw   string
		want string // catalog key, "" for accepted
	}{
		{"kurz", account.PasswordTooShort},
		{"elf Zeichen", account.PasswordTooShort},           // 11
		{"zwölf Zeiche", ""},                                // 12 runes, 13 bytes
		{strings.Repeat("🔒", 11), account.PasswordTooShort}, // 11 runes, 44 bytes
		{"🔒🔑 Tür zu, Schlüssel weg", ""},
		{strings.Repeat("xy", 64), ""},                            // 128
		{strings.Repeat("xy", 64) + "z", account.PasswordTooLong}, // 129
		{"Ka\u0308se und Brot!", ""},                              // decomposed: still ≥ 12 after NFC
		{"password1234", account.PasswordCommon},
		{"PASSWORD1234", account.PasswordCommon},
		{"Password2024!", account.PasswordCommon}, // trailing digits and punctuation stripped
		{"qwertyuiop123", account.PasswordCommon},
		{"1qaz2wsx3edc", account.PasswordCommon}, // on the list as is
		{"Passwort123456", account.PasswordCommon},
		{"aaaaaaaaaaaaaaaa", account.PasswordCommon},
		{"111111111111", account.PasswordCommon},
		{"mein erika.muster@stadt-beispiel.de", account.PasswordContainsEmail},
		{"ERIKA.MUSTER gehört mir", account.PasswordContainsEmail},
		{"Eine Erika im Garten", ""}, // "erika" alone is not the local part
		{"correct horse battery staple", ""},
	} {
		err := account.CheckPassword(c.pw, email)
		var pe *account.PasswordError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q refused: %v", c.pw, err)
		case c.want != "" && !errors.As(err, &pe):
			t.Errorf("%q: err = %v, want %s", c.pw, err, c.want)
		case c.want != "" && pe.Key != c.want:
			t.Errorf("%q: key = %s, want %s", c.pw, pe.Key, c.want)
		case c.want != "" && !errs.Is(err, errs.Invalid):
			t.Errorf("%q: kind = %v, want Invalid", c.pw, errs.KindOf(err))
		}
	}
	// A short local part (< 3 characters) is not held against the password.
	if err := account.CheckPassword("ab und zu ein Lied", "ab@example.org"); err != nil {
		t.Errorf("two-letter local part: %v", err)
	}
}

// FuzzCheckPassword: any input gives a verdict without panicking, and an accepted password keeps
// the length rule.
func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"", "password1234", "correct horse battery staple", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", "a\u0308a\u0308a\u0308a\u0308a\u0308a\u0308"} {
		f.Add(s, "erika@example.org")
	}
	f.Fuzz(func(t *testing.T, pw, email string) {
		err := account.CheckPassword(pw, email)
		if err == nil {
			if n := utf8.RuneCountInString(norm.NFC.String(pw)); n < account.MinPasswordLen || n > account.MaxPasswordLen {
				t.Fatalf("accepted a password of %d characters", n)
			}
			return
		}
		var pe *account.PasswordError
		if !errors.As(err, &pe) || !errs.Is(err, errs.Invalid) {
			t.Fatalf("refusal without a reason key: %v", err)
		}
	})
}
