// Package i18n owns the platform's languages: which languages there are, the message catalogs of
// web pages, e-mails, certificates, exports and learning records, plural rules, and how dates and
// percentages are written in each language and a given time zone.
//
// The languages are the ones the embedded catalogs exist in (catalogs/AREA.LANG.yaml), so adding
// a language is adding its catalog files (and its content files, see modules/FORMAT.md) —
// nothing in the code names a language except Default.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Lang is an interface and content language, a lower-case ISO 639-1 code such as "de".
type Lang string

// Default is the platform's first language: the fallback for everything and the language of
// visitors whose browser asks for none of the others.
const Default Lang = "de"

// Required are the languages that every text of the content must have; the other languages may
// be incomplete while a translation is under way (modules check reports what is missing).
var Required = []Lang{Default, "en"}

// String returns the code.
func (l Lang) String() string { return string(l) }

//go:embed catalogs/*.yaml
var catalogFiles embed.FS

// catalog is the loaded message catalogs. It is immutable after loading.
type catalog struct {
	langs      []Lang
	localizers map[Lang]*i18n.Localizer
	matcher    language.Matcher
	keys       map[Lang]map[string]bool
	// fast holds the messages T can write without go-i18n: those without plural forms whose
	// text is plain or uses only {{.Name}} placeholders — nearly all of them. A page translates
	// dozens of texts; go-i18n matches the language tag and runs a text/template for each.
	fast map[Lang]map[string]*fastMessage
	// plural holds the messages with plural forms that N can write without go-i18n (forms that
	// are plain or use only {{.Name}} placeholders): the form is chosen by the same CLDR rules.
	plural map[Lang]map[string]*pluralMessage
}

var loaded = sync.OnceValues(func() (*catalog, error) { return load(catalogFiles) })

// cat returns the embedded catalogs. They are part of the binary and tested, so a broken one is
// a programming error, found by the first test that translates anything.
func cat() *catalog {
	c, err := loaded()
	if err != nil {
		panic(err)
	}
	return c
}

// Check loads the embedded catalogs and reports any problem; cmd calls it at start-up so that a
// broken catalog stops the binary with a message instead of a panic on the first page.
func Check() error {
	_, err := loaded()
	return err
}

func load(fsys fs.FS) (*catalog, error) {
	b := i18n.NewBundle(language.Make(string(Default)))
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	files, err := fs.Glob(fsys, "catalogs/*.yaml")
	if err != nil {
		return nil, err
	}
	c := &catalog{localizers: map[Lang]*i18n.Localizer{}, keys: map[Lang]map[string]bool{}, fast: map[Lang]map[string]*fastMessage{}, plural: map[Lang]map[string]*pluralMessage{}}
	for _, f := range files {
		parts := strings.Split(path.Base(f), ".")
		if len(parts) != 3 {
			return nil, fmt.Errorf("message catalog %s: name must be AREA.LANG.yaml", f)
		}
		lang := Lang(parts[1])
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(src, f)
		if err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", f, err)
		}
		if mf.Tag.String() != string(lang) {
			return nil, fmt.Errorf("message catalog %s: %q is not a plain language code", f, lang)
		}
		if c.keys[lang] == nil {
			c.keys[lang] = map[string]bool{}
			c.langs = append(c.langs, lang)
		}
		if c.fast[lang] == nil {
			c.fast[lang] = map[string]*fastMessage{}
			c.plural[lang] = map[string]*pluralMessage{}
		}
		for _, m := range mf.Messages {
			if c.keys[lang][m.ID] {
				return nil, fmt.Errorf("message catalog %s: %s is defined twice", f, m.ID)
			}
			c.keys[lang][m.ID] = true
			if fm := compileFast(m); fm != nil {
				c.fast[lang][m.ID] = fm
			} else if pm := compilePlural(mf.Tag, m); pm != nil {
				c.plural[lang][m.ID] = pm
			}
		}
	}
	if !slices.Contains(c.langs, Default) {
		return nil, fmt.Errorf("message catalogs: none for the default language %q", Default)
	}
	// The default language first, then the others in alphabetical order of their codes.
	slices.SortFunc(c.langs, func(a, b Lang) int {
		switch {
		case a == Default:
			return -1
		case b == Default:
			return 1
		}
		return strings.Compare(string(a), string(b))
	})
	tags := make([]language.Tag, len(c.langs))
	for i, l := range c.langs {
		tags[i] = language.Make(string(l))
		c.localizers[l] = i18n.NewLocalizer(b, string(l))
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// Languages lists every language, the default first.
func Languages() []Lang { return slices.Clone(cat().langs) }

// Parse returns the language named by s (any case, surrounding space ignored), or false if the
// platform does not have it.
func Parse(s string) (Lang, bool) {
	l := Lang(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(cat().langs, l) {
		return l, true
	}
	return "", false
}

// OrDefault returns the language named by s, or Default.
func OrDefault(s string) Lang {
	if l, ok := Parse(s); ok {
		return l
	}
	return Default
}

// Match picks the best language for an Accept-Language header, or Default.
func Match(acceptLanguage string) Lang {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Default
	}
	c := cat()
	_, idx, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return c.langs[idx]
}

// Fallbacks is the order in which to look for a text that may be missing in lang: lang itself,
// then English (read by more of the platform's users abroad than German), then the default.
func Fallbacks(lang Lang) []Lang {
	out := []Lang{lang}
	for _, l := range []Lang{"en", Default} {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// Has reports whether the catalog of lang defines id.
func Has(lang Lang, id string) bool { return cat().keys[lang][id] }

// Keys returns every message id of lang's catalog, sorted.
func Keys(lang Lang) []string {
	var out []string
	for k := range cat().keys[lang] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// T translates id into lang; kv are pairs of template data (name, value). A missing id shows as
// [id], so that it is seen, not silently replaced.
func T(lang Lang, id string, kv ...any) string {
	if fm := cat().fast[lang][id]; fm != nil {
		return fm.render(kv)
	}
	return localize(lang, &i18n.LocalizeConfig{MessageID: id, TemplateData: data(kv)})
}

// N translates id with the plural form for count (CLDR rules of lang); the template sees count
// as .Count, next to kv.
func N(lang Lang, id string, count int, kv ...any) string {
	if pm := cat().plural[lang][id]; pm != nil {
		if fm := pm.form(count); fm != nil {
			return fm.render(append([]any{"Count", count}, kv...))
		}
	}
	return slowN(lang, id, count, kv...)
}

// slowN is N through go-i18n, for what the compiled messages do not cover.
func slowN(lang Lang, id string, count int, kv ...any) string {
	d := data(kv)
	if d == nil {
		d = map[string]any{}
	}
	d["Count"] = count
	return localize(lang, &i18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: d})
}

func localize(lang Lang, lc *i18n.LocalizeConfig) string {
	c := cat()
	loc, ok := c.localizers[lang]
	if !ok {
		loc = c.localizers[Default]
	}
	s, err := loc.Localize(lc)
	if err != nil {
		return "[" + lc.MessageID + "]"
	}
	return s
}

func data(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	d := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		d[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return d
}

// Name is the language's own name ("Deutsch", "Français"), for language switches.
func Name(lang Lang) string { return T(lang, "lang.name") }

// Tag is the language's BCP 47 tag with its region as the platform writes it ("de-DE", "en-GB"),
// for xAPI language maps and the lang attribute of documents.
func Tag(lang Lang) string { return T(lang, "lang.tag") }

// List names the languages for messages and help texts: "de, en, fr, it".
func List() string {
	var s []string
	for _, l := range cat().langs {
		s = append(s, string(l))
	}
	return strings.Join(s, ", ")
}
