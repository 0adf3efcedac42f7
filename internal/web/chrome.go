package web

import (
	"html/template"
	"strings"

	"saferspaces/internal/account"
	"saferspaces/internal/i18n"
	"saferspaces/internal/legal"
	"saferspaces/internal/paths"
)

// The chrome of every page — the header with the navigation and the language switch, the footer
// with the reference and legal links — written in Go like the fragments in fragments.go, and for
// the same reason: it is on every page, and as templates its few dozen actions were the larger part
// of a small page's time. Its markup is the templates' in testdata/fragments.html, and the same test
// compares both.

// wordmark is the platform's shield, shown when the operator has not given a logo.
const wordmark = `<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false"><path fill="currentColor" d="M16 2 4 6.5v8.2c0 7.4 5.1 13.2 12 15.3 6.9-2.1 12-7.9 12-15.3V6.5L16 2zm0 3.2 9 3.4v6.1c0 5.8-3.8 10.5-9 12.3-5.2-1.8-9-6.5-9-12.3V8.6l9-3.4z"/><path fill="currentColor" d="m14.6 19.6-4-4 1.8-1.8 2.2 2.2 5-5 1.8 1.8z"/></svg>`

// header is the page's header: wordmark, operator, navigation by role, language switch.
func (r *renderer) header(d pageData) template.HTML {
	b := d.base()
	lang := b.Lang
	var f frag
	f.raw(`<header class="site-header">`, "\n", `<div class="container bar">`, "\n", `<a href="/" class="wordmark">`)
	if r.logo != "" {
		f.raw(`<img src="`)
		f.url(r.logo)
		f.raw(`" alt="">`)
	} else {
		f.raw(wordmark)
	}
	f.raw("\n", `<span class="name"><span class="product">safer<b>spaces</b></span>`)
	if b.Operator.Name != "" {
		f.raw(`<span class="operator">`)
		f.esc(b.Operator.Name)
		f.raw(`</span>`)
	}
	f.raw(`</span></a>`, "\n", `<nav class="site-nav" aria-label="`)
	f.esc(i18n.T(lang, "nav.label"))
	f.raw(`">`, "\n", "<ul>\n")
	item := func(href, key string, current bool) {
		f.raw(`<li><a href="`, href, `"`)
		if current {
			f.raw(` aria-current="page"`)
		}
		f.raw(`>`)
		f.esc(i18n.T(lang, key))
	}
	if u := b.User; u != nil {
		f.raw("\n")
		item("/", "nav.dashboard", b.Path == "/")
		f.raw("</a></li>\n")
		if u.Role == account.RoleTrainer || u.Role == account.RoleAdmin {
			item("/trainer", "nav.trainer", under(b.Path, "/trainer"))
			f.raw("</a></li>")
		}
		f.raw("\n")
		if u.Role == account.RoleAdmin {
			item("/admin", "nav.admin", under(b.Path, "/admin"))
			if u.Pending != 0 {
				f.raw(` <span class="badge">`)
				f.int(u.Pending)
				f.raw(`<span class="visually-hidden"> `)
				f.esc(i18n.N(lang, "nav.pending", u.Pending))
				f.raw(`</span></span>`)
			}
			f.raw("</a></li>")
		}
		f.raw("\n")
		item("/account", "nav.account", under(b.Path, "/account"))
		f.raw("</a></li>\n", `<li><form method="post" action="/logout" class="inline"><button type="submit" class="link">`)
		f.esc(i18n.T(lang, "nav.logout"))
		f.raw("</button></form></li>\n")
	} else {
		f.raw("\n")
		item("/login", "nav.login", b.Path == "/login")
		f.raw("</a></li>\n")
		item("/register", "nav.register", b.Path == "/register")
		f.raw("</a></li>\n")
	}
	f.raw("\n<li>")
	langSwitchOnto(&f, b)
	f.raw("</li>\n</ul>\n</nav>\n</div>\n</header>")
	return f.html()
}

// under reports whether path is prefix or below it, for the navigation's current item.
func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// langSwitch is the form that switches the interface to each other language.
func langSwitch(d pageData) template.HTML {
	var f frag
	langSwitchOnto(&f, d.base())
	return f.html()
}

func langSwitchOnto(f *frag, b *Base) {
	f.raw(`<form method="post" action="/lang" class="inline langswitch">`, "\n", `<input type="hidden" name="next" value="`)
	f.esc(b.Path)
	f.raw(`">`, "\n")
	for _, l := range i18n.Languages() {
		if l == b.Lang {
			continue
		}
		f.raw(`<button type="submit" name="lang" value="`)
		f.esc(string(l))
		f.raw(`" lang="`)
		f.esc(string(l))
		f.raw(`" class="link">`)
		f.esc(i18n.Name(l))
		f.raw(`</button>`)
	}
	f.raw("\n</form>")
}

// footer is the page's footer: the reference links for signed-in users, the operator and contact,
// the legal pages.
func footer(d pageData) template.HTML {
	b := d.base()
	lang := b.Lang
	var f frag
	f.raw(`<footer class="site-footer">`, "\n", `<div class="container">`, "\n")
	if b.User != nil {
		f.raw(`<nav class="library-nav" aria-label="`)
		f.esc(i18n.T(lang, "library.nav.label"))
		f.raw(`">`, "\n", "<ul>\n")
		for _, link := range [][2]string{{paths.Glossary(""), "library.nav.glossary"}, {paths.Cases, "library.nav.cases"}, {paths.Tools, "library.nav.tools"}} {
			f.raw(`<li><a href="`)
			f.url(link[0])
			f.raw(`">`)
			f.esc(i18n.T(lang, link[1]))
			f.raw("</a></li>\n")
		}
		f.raw("</ul>\n</nav>")
	}
	f.raw("\n<p><small>")
	f.esc(i18n.T(lang, "footer.text"))
	f.raw("</small></p>\n", `<nav aria-label="`)
	f.esc(i18n.T(lang, "legal.footer.nav"))
	f.raw(`" class="legal-nav">`, "\n", `<p class="operator"><small>`)
	if name := b.Operator.Name; name != "" {
		f.esc(i18n.T(lang, "legal.footer.operator", "Name", name))
	} else {
		f.esc(i18n.T(lang, "legal.footer.unset"))
	}
	if email := b.Operator.Email; email != "" {
		f.raw(` · `)
		f.esc(i18n.T(lang, "legal.footer.contact"))
		f.raw(` <a href="mailto:`)
		f.urlPart(email)
		f.raw(`">`)
		f.esc(email)
		f.raw(`</a>`)
	}
	f.raw("</small></p>\n<ul>\n")
	for _, p := range legal.AllPages() {
		f.raw(`<li><a href="`)
		f.url(p.Path())
		f.raw(`">`)
		f.esc(i18n.T(lang, "legal."+string(p)+".title"))
		f.raw("</a></li>\n")
	}
	f.raw("</ul>\n</nav>\n</div>\n</footer>")
	return f.html()
}
