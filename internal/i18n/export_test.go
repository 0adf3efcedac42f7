package i18n

import (
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// CompareFastPath renders every fast-path message both ways and reports differences; it returns
// how many messages were compared.
func CompareFastPath(t *testing.T) int {
	c := cat()
	n := 0
	for lang, msgs := range c.fast {
		for id, fm := range msgs {
			data := map[string]any{}
			var kv []any
			for i := 1; i < len(fm.parts); i += 2 {
				data[fm.parts[i]] = i * 7
				kv = append(kv, fm.parts[i], i*7)
			}
			want := localize(lang, &i18n.LocalizeConfig{MessageID: id, TemplateData: data})
			if got := fm.render(kv); got != want {
				t.Errorf("%s %s: fast %q, go-i18n %q", lang, id, got, want)
			}
			n++
		}
	}
	return n
}

// ComparePluralPath renders every compiled plural message both ways, for counts from 0 to 2,000
// and some large ones (French and Italian have a form for millions), and reports differences; it
// returns how many messages were compared.
func ComparePluralPath(t *testing.T) int {
	c := cat()
	counts := []int{999_999, 100_000, 21_001, 1_000_000, 2_000_000, 1_000_001, 10_000_000, 123_456_789, -1, -2}
	for n := range 2001 {
		counts = append(counts, n)
	}
	n := 0
	for lang, msgs := range c.plural {
		for id, pm := range msgs {
			var kv []any
			seen := map[string]bool{"Count": true}
			for _, fm := range pm.forms {
				for i := 1; i < len(fm.parts); i += 2 {
					if name := fm.parts[i]; !seen[name] {
						seen[name] = true
						kv = append(kv, name, 7*len(kv)+3)
					}
				}
			}
			for _, count := range counts {
				if got, want := N(lang, id, count, kv...), slowN(lang, id, count, kv...); got != want {
					t.Errorf("%s %s %d: fast %q, go-i18n %q", lang, id, count, got, want)
					break
				}
			}
			n++
		}
	}
	return n
}
