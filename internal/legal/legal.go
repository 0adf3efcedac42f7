// Package legal owns what the platform says about who runs it and how it treats people's data:
// the operator's identity (from the settings), the imprint, the privacy notice with the record of
// processing (Records), and the accessibility statement — built-in texts from the catalogs
// (legal.LANG.yaml) filled with the settings, or the operator's own Markdown files.
package legal

import (
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
	"saferspaces/internal/paths"
)

// Page is one of the legal pages.
type Page string

// The legal pages; the values are their paths without the slash and the names of their files.
const (
	Imprint       Page = "imprint"
	Privacy       Page = "privacy"
	Accessibility Page = "accessibility"
)

// AllPages lists the legal pages in the order of the footer.
func AllPages() []Page { return []Page{Imprint, Privacy, Accessibility} }

// Path is the page's URL path.
func (p Page) Path() string {
	switch p {
	case Imprint:
		return paths.Imprint
	case Privacy:
		return paths.Privacy
	}
	return paths.Accessibility
}

// Fact is one labelled value on a page (the operator's address, the authority's web site).
type Fact struct {
	Label, Value string
	Href         string // mailto: or https: link for the value, if any
}

// Section is a part of a built-in page.
type Section struct {
	Heading    string
	Paragraphs []string
	Facts      []Fact
	List       []string
	Records    []Row // the record of processing (privacy notice)
}

// Document is a legal page in one language.
type Document struct {
	Page     Page
	Title    string
	Missing  []string      // settings the operator has not filled in; the page says so plainly
	Custom   template.HTML // the operator's own text (serve --legal), instead of Sections
	Sections []Section
}

// Pages makes the legal pages of one platform.
type Pages struct {
	op      config.Operator
	ret     config.Retention
	baseURL string
	custom  map[Page]map[i18n.Lang]template.HTML
}

// New builds the pages from the settings. dir ("" for none) holds the operator's own pages as
// PAGE.LANG.md (imprint.de.md, privacy.en.md, …); they are read and rendered now, so that a wrong
// file name or a file that cannot be read stops start-up with a message.
func New(op config.Operator, ret config.Retention, baseURL, dir string) (*Pages, error) {
	p := Builtin(op, ret, baseURL)
	if dir == "" {
		return p, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--legal: %w", err)
	}
	var problems []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		parts := strings.Split(name, ".")
		lang, ok := i18n.Lang(""), false
		if len(parts) == 3 && parts[2] == "md" {
			lang, ok = i18n.Parse(parts[1])
		}
		page := Page(parts[0])
		if !ok || !slices.Contains(AllPages(), page) || string(lang) != parts[1] {
			problems = append(problems, fmt.Errorf("--legal %s: want PAGE.LANG.md with PAGE one of imprint, privacy, accessibility and LANG one of %s", filepath.Join(dir, name), i18n.List()))
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			problems = append(problems, fmt.Errorf("--legal: %w", err))
			continue
		}
		if strings.TrimSpace(string(src)) == "" {
			problems = append(problems, fmt.Errorf("--legal %s: the file is empty", filepath.Join(dir, name)))
			continue
		}
		html, err := content.RenderPage(src)
		if err != nil {
			problems = append(problems, fmt.Errorf("--legal %s: %w", filepath.Join(dir, name), err))
			continue
		}
		if p.custom[page] == nil {
			p.custom[page] = map[i18n.Lang]template.HTML{}
		}
		p.custom[page][lang] = html
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return p, nil
}

// Builtin builds the pages from the settings alone, without the operator's own files.
func Builtin(op config.Operator, ret config.Retention, baseURL string) *Pages {
	return &Pages{op: op, ret: ret, baseURL: strings.TrimRight(baseURL, "/"), custom: map[Page]map[i18n.Lang]template.HTML{}}
}

// Operator is who runs the platform.
func (p *Pages) Operator() config.Operator { return p.op }

// Retention are the periods in force.
func (p *Pages) Retention() config.Retention { return p.ret }

// Custom lists the operator's own pages as "imprint.de" etc., for the start-up log.
func (p *Pages) Custom() []string {
	var out []string
	for page, langs := range p.custom {
		for l := range langs {
			out = append(out, string(page)+"."+string(l))
		}
	}
	slices.Sort(out)
	return out
}

// Document is page in lang: the operator's own file in lang (or, failing that, in the default
// language or any other they wrote — their words are better than our template), else the
// built-in text filled with the settings.
func (p *Pages) Document(page Page, lang i18n.Lang) Document {
	d := Document{Page: page, Title: i18n.T(lang, "legal."+string(page)+".title")}
	if own := p.custom[page]; len(own) > 0 {
		for _, l := range append([]i18n.Lang{lang, i18n.Default}, i18n.Languages()...) {
			if html, ok := own[l]; ok {
				d.Custom = html
				return d
			}
		}
	}
	d.Missing = p.op.Missing()
	switch page {
	case Imprint:
		d.Sections = p.imprint(lang)
	case Privacy:
		d.Sections = p.privacy(lang)
	case Accessibility:
		d.Sections = p.accessibility(lang)
	}
	return d
}

// operatorFacts are the operator's name, representative, address and contact.
func (p *Pages) operatorFacts(lang i18n.Lang, extra bool) []Fact {
	o := p.op
	var out []Fact
	add := func(key, value, href string) {
		if value != "" {
			out = append(out, Fact{Label: i18n.T(lang, "legal.fact."+key), Value: value, Href: href})
		}
	}
	add("name", orUnset(lang, o.Name), "")
	add("representative", o.Representative, "")
	add("address", orUnset(lang, o.Address), "")
	add("email", orUnset(lang, o.Email), mailto(o.Email))
	add("phone", o.Phone, "")
	if extra {
		add("register", o.Register, "")
		add("vat", o.VATID, "")
	}
	return out
}

func orUnset(lang i18n.Lang, v string) string {
	if v == "" {
		return i18n.T(lang, "legal.unset")
	}
	return v
}

func mailto(addr string) string {
	if addr == "" {
		return ""
	}
	return "mailto:" + addr
}

func (p *Pages) name(lang i18n.Lang) string { return orUnset(lang, p.op.Name) }

func (p *Pages) imprint(lang i18n.Lang) []Section {
	t := func(k string, kv ...any) string { return i18n.T(lang, "legal.imprint."+k, kv...) }
	responsible := p.op.Representative
	if responsible == "" {
		responsible = p.name(lang)
	}
	return []Section{
		{Heading: t("provider"), Paragraphs: []string{t("provider.text")}, Facts: p.operatorFacts(lang, true)},
		{Heading: t("responsible"), Paragraphs: []string{t("responsible.text", "Name", responsible)}},
		{Heading: t("software"), Paragraphs: []string{t("software.text", "Name", p.name(lang))}},
	}
}

func (p *Pages) privacy(lang i18n.Lang) []Section {
	t := func(k string, kv ...any) string { return i18n.T(lang, "legal.privacy."+k, kv...) }
	o := p.op
	var rows []Row
	for _, r := range Records() {
		rows = append(rows, r.Row(lang, p.ret))
	}
	dpo := []Fact{
		{Label: i18n.T(lang, "legal.fact.name"), Value: orUnset(lang, o.DPOName)},
		{Label: i18n.T(lang, "legal.fact.email"), Value: orUnset(lang, o.DPOEmail), Href: mailto(o.DPOEmail)},
	}
	authority := []Fact{{Label: i18n.T(lang, "legal.fact.name"), Value: orUnset(lang, o.Authority)}}
	if o.AuthorityURL != "" {
		authority = append(authority, Fact{Label: i18n.T(lang, "legal.fact.website"), Value: o.AuthorityURL, Href: o.AuthorityURL})
	}
	var rights []string
	for _, k := range []string{"access", "rectification", "erasure", "restriction", "portability", "objection", "consent"} {
		rights = append(rights, t("rights."+k))
	}
	return []Section{
		{Paragraphs: []string{t("intro")}},
		{Heading: t("controller"), Facts: p.operatorFacts(lang, false)},
		{Heading: t("dpo"), Facts: dpo},
		{Heading: t("purposes"), Paragraphs: []string{t("purposes.text"), t("purposes.basis")}},
		{Heading: t("records"), Paragraphs: []string{t("records.text")}, Records: rows},
		{Heading: t("source"), Paragraphs: []string{t("source.text")}},
		{Heading: t("recipients"), Paragraphs: []string{t("recipients.text"), t("recipients.abroad")}},
		{Heading: t("cookies"), Paragraphs: []string{t("cookies.text")}},
		{Heading: t("rights"), List: rights, Paragraphs: []string{t("rights.how", "Email", orUnset(lang, o.Email))}},
		{Heading: t("authority"), Paragraphs: []string{t("authority.text")}, Facts: authority},
		{Heading: t("required"), Paragraphs: []string{t("required.text"), t("automated")}},
	}
}

func (p *Pages) accessibility(lang i18n.Lang) []Section {
	t := func(k string, kv ...any) string { return i18n.T(lang, "legal.a11y."+k, kv...) }
	o := p.op
	site := p.baseURL
	if site == "" {
		site = "saferspaces"
	}
	var gaps []string
	for _, k := range []string{"pdf", "sign_language", "chart", "languages"} {
		gaps = append(gaps, t("gaps."+k))
	}
	concil := []Fact{{Label: i18n.T(lang, "legal.fact.name"), Value: orUnset(lang, o.Conciliation)}}
	if o.ConciliationURL != "" {
		concil = append(concil, Fact{Label: i18n.T(lang, "legal.fact.website"), Value: o.ConciliationURL, Href: o.ConciliationURL})
	}
	return []Section{
		{Paragraphs: []string{t("intro", "Name", p.name(lang), "URL", site)}},
		{Heading: t("status"), Paragraphs: []string{t("status.text")}},
		{Heading: t("gaps"), List: gaps},
		{Heading: t("prepared"), Paragraphs: []string{t("prepared.text")}},
		{Heading: t("feedback"), Paragraphs: []string{t("feedback.text", "Email", orUnset(lang, o.Email))},
			Facts: []Fact{{Label: i18n.T(lang, "legal.fact.email"), Value: orUnset(lang, o.Email), Href: mailto(o.Email)}}},
		{Heading: t("conciliation"), Paragraphs: []string{t("conciliation.text")}, Facts: concil},
	}
}
