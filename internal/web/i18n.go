package web

import (
	"net/http"
	"net/url"
	"strings"

	"saferspaces/internal/i18n"
)

// supported returns the interface language named by s, or "" if there is none.
func supported(s string) i18n.Lang {
	l, _ := i18n.Parse(s)
	return l
}

const langCookie = "lang"

// requestLanguage picks the interface language: the signed-in user's setting, else the cookie
// set by the language switch, else Accept-Language, else German.
func requestLanguage(r *http.Request, userLang string) i18n.Lang {
	if l := supported(userLang); l != "" {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l := supported(c.Value); l != "" {
			return l
		}
	}
	return i18n.Match(r.Header.Get("Accept-Language"))
}

// localPath accepts only same-site paths as redirect targets, so that ?next= cannot send a user
// to another site.
// Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/\t/evil.example"
// would become "//evil.example": any control character or backslash disqualifies a target.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(p, "//") {
		return "/"
	}
	return p
}
