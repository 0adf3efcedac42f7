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
