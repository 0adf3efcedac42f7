package web

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages of the interface; the first is the default.
var Languages = []string{"de", "en"}

var matcher = language.NewMatcher([]language.Tag{language.German, language.English})

// Translator looks up interface texts in the embedded catalogs.
type Translator struct {
	localizers map[string]*i18n.Localizer
}

// NewTranslator loads i18n/<lang>.yaml for every interface language.
func NewTranslator(fsys fs.FS) (*Translator, error) {
	b := i18n.NewBundle(language.German)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	// Each area keeps its own catalog files (i18n/AREA.LANG.yaml), so texts live next to each other
	// by feature and not in one ever-growing file.
	files, err := fs.Glob(fsys, "i18n/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if _, err := b.LoadMessageFileFS(fsys, f); err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", f, err)
		}
	}
	tr := &Translator{localizers: map[string]*i18n.Localizer{}}
	for _, l := range Languages {
		tr.localizers[l] = i18n.NewLocalizer(b, l)
	}
	return tr, nil
}

// T translates id; kv are pairs of template data (name, value). A missing id shows as [id] so
// that it is seen, not silently replaced.
func (tr *Translator) T(lang, id string, kv ...any) string {
	loc, ok := tr.localizers[lang]
	if !ok {
		loc = tr.localizers[Languages[0]]
	}
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return "[" + id + "]"
	}
	return s
}

// supported returns lang if it is an interface language, else "".
func supported(lang string) string {
	for _, l := range Languages {
		if l == lang {
			return l
		}
	}
	return ""
}

const langCookie = "lang"

// requestLanguage picks the interface language: the signed-in user's setting, else the cookie
// set by the language switch, else Accept-Language, else German.
func requestLanguage(r *http.Request, userLang string) string {
	if l := supported(userLang); l != "" {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l := supported(c.Value); l != "" {
			return l
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf != language.No {
				return Languages[idx]
			}
		}
	}
	return Languages[0]
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
