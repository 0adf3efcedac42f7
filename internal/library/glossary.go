package library

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
)

// Letter is one initial of the glossary with its terms.
type Letter struct {
	Letter  string // "A", "Ü" is filed under "U" as the language's dictionaries do
	ID      string // anchor of the letter's heading, e.g. "letter-a"
	Entries []Entry
}

// Entry is a term as a reader of one language sees it.
type Entry struct {
	Term *content.Term
	Name string          // the term in the reader's language, or its fallback
	See  []*content.Term // the related terms, in the reader's alphabetical order
	Also []Translation   // the term in the other languages it has, for readers who work across borders
}

// Translation is a text in one language.
type Translation struct {
	Lang i18n.Lang
	Text string
}

// Glossary is the glossary for a reader of lang: grouped by initial and sorted by the terms as
// they read in lang, with that language's collation (German files "Ä" with "A", French ignores
// accents first, and upper and lower case sort together).
func (s *Service) Glossary(lang i18n.Lang) []Letter {
	if g, ok := s.glossary[lang]; ok {
		return g
	}
	return s.glossary[i18n.Default]
}

func arrange(cat *content.Catalog, lang i18n.Lang) []Letter {
	col := collate.New(language.Make(string(lang)))
	less := func(a, b *content.Term) int { return col.CompareString(a.Term.In(lang), b.Term.In(lang)) }
	terms := make([]*content.Term, len(cat.Glossary))
	copy(terms, cat.Glossary)
	slices.SortStableFunc(terms, less) // stable: terms that read the same keep the file's order

	var out []Letter
	for _, t := range terms {
		e := Entry{Term: t, Name: t.Term.In(lang)}
		for _, l := range i18n.Languages() {
			if l != lang && l != t.Term.LangOf(lang) && t.Term[l] != "" {
				e.Also = append(e.Also, Translation{l, t.Term[l]})
			}
		}
		for _, id := range t.See {
			if r := cat.Term(id); r != nil {
				e.See = append(e.See, r)
			}
		}
		slices.SortStableFunc(e.See, less)
		l := initial(e.Name)
		if len(out) == 0 || out[len(out)-1].Letter != l {
			id := "letter-other"
			if l != "#" {
				id = "letter-" + strings.ToLower(l)
			}
			out = append(out, Letter{Letter: l, ID: id})
		}
		out[len(out)-1].Entries = append(out[len(out)-1].Entries, e)
	}
	return out
}

// initial is the letter a term is filed under: its first letter without accents, in capitals;
// "#" for a term that starts with a digit or sign.
func initial(name string) string {
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.IsLetter(r):
			return string(unicode.ToUpper(r))
		case unicode.IsDigit(r):
			return "#"
		}
	}
	return "#"
}
