package i18n

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// pluralMessage is a message with plural forms compiled for N: each form as a fastMessage.
type pluralMessage struct {
	tag   language.Tag
	forms map[plural.Form]*fastMessage
}

// compilePlural compiles m for N, or returns nil when a form has template actions other than
// {{.Name}}.
func compilePlural(tag language.Tag, m *i18n.Message) *pluralMessage {
	pm := &pluralMessage{tag: tag, forms: map[plural.Form]*fastMessage{}}
	for form, text := range map[plural.Form]string{plural.Zero: m.Zero, plural.One: m.One, plural.Two: m.Two,
		plural.Few: m.Few, plural.Many: m.Many, plural.Other: m.Other} {
		if text == "" {
			continue
		}
		fm := compileFast(&i18n.Message{Other: text, LeftDelim: m.LeftDelim, RightDelim: m.RightDelim})
		if fm == nil {
			return nil
		}
		pm.forms[form] = fm
	}
	return pm
}

// form returns the message's form for count by the CLDR rules of its language, or nil when the
// catalog does not give that form or count is a million or more (go-i18n then decides): the rules
// in golang.org/x/text predate CLDR's "many" of French and Italian for millions.
func (pm *pluralMessage) form(count int) *fastMessage {
	if count < 0 || count >= 1_000_000 {
		return nil
	}
	return pm.forms[plural.Cardinal.MatchPlural(pm.tag, count, 0, 0, 0, 0)]
}

// fastMessage is a message compiled for T: literal text with {{.Name}} placeholders.
type fastMessage struct {
	parts []string // literal, name, literal, name, …, literal: names at odd indexes
}

var placeholder = regexp.MustCompile(`\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// compileFast compiles m for T, or returns nil when only go-i18n can write it: a message with
// plural forms, or with template actions other than {{.Name}}.
func compileFast(m *i18n.Message) *fastMessage {
	if m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "" {
		return nil
	}
	if m.LeftDelim != "" || m.RightDelim != "" {
		return nil
	}
	text := m.Other
	fm := &fastMessage{}
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(text, -1) {
		fm.parts = append(fm.parts, text[last:loc[0]], text[loc[2]:loc[3]])
		last = loc[1]
	}
	fm.parts = append(fm.parts, text[last:])
	for i := 0; i < len(fm.parts); i += 2 {
		if strings.Contains(fm.parts[i], "{{") || strings.Contains(fm.parts[i], "}}") {
			return nil // another kind of action
		}
	}
	return fm
}

// render writes the message with the template data in kv (name, value pairs), as text/template
// would: a value by fmt's rules, a missing one as "<no value>".
func (fm *fastMessage) render(kv []any) string {
	if len(fm.parts) == 1 {
		return fm.parts[0]
	}
	var b strings.Builder
	for i, p := range fm.parts {
		if i%2 == 0 {
			b.WriteString(p)
			continue
		}
		b.WriteString(value(kv, p))
	}
	return b.String()
}

func value(kv []any, name string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok && k == name {
			switch v := kv[i+1].(type) {
			case string:
				return v
			case int:
				return strconv.Itoa(v)
			case fmt.Stringer:
				return v.String()
			default:
				return fmt.Sprint(v)
			}
		}
	}
	return "<no value>"
}
