package content

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"saferspaces/internal/i18n"
)

// idPattern is the shape of every id: they appear in URLs, form field names and stored progress.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// yamlFile decodes one YAML document by walking its AST rather than unmarshalling into structs,
// because only the AST knows the line of every key and value, and walking lets us report every
// problem in the file instead of stopping at the first.
type yamlFile struct {
	name   string // file name for problems
	offset int    // lines in the file before the YAML starts (front matter)
	ps     *problems
}

func (y *yamlFile) errorf(line int, format string, args ...any) {
	y.ps.add(y.name, line, format, args...)
}

func (y *yamlFile) line(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line + y.offset
}

// parse returns the body of the single document in src. ok is false after a reported syntax
// error; a nil body with ok true means the document is empty, which callers word themselves.
func (y *yamlFile) parse(src []byte) (body ast.Node, ok bool) {
	// The parser is third-party code fed with author input; a panic in it must become a
	// problem report, not take down the server or the checker.
	defer func() {
		if r := recover(); r != nil {
			y.errorf(0, "cannot parse YAML: %v", r)
			body, ok = nil, false
		}
	}()
	// Duplicates are allowed here and reported by mapping, so they do not hide the other problems.
	f, err := parser.ParseBytes(src, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		var perr interface {
			GetToken() *token.Token
			GetMessage() string
		}
		if errors.As(err, &perr) && perr.GetToken() != nil {
			y.errorf(perr.GetToken().Position.Line+y.offset, "invalid YAML: %s", perr.GetMessage())
		} else {
			y.errorf(0, "invalid YAML: %v", err)
		}
		return nil, false
	}
	var docs []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	switch len(docs) {
	case 0:
		return nil, true
	case 1:
		return docs[0], true
	}
	y.errorf(y.line(docs[1]), "only one YAML document is allowed")
	return docs[0], true
}

// unwrap strips tags and anchors. Aliases are refused: they would make problem lines point
// somewhere other than the text an author has to fix, and content has no need for them.
func (y *yamlFile) unwrap(n ast.Node) (ast.Node, bool) {
	for range 100 { // bounded: a malicious chain of tags must not loop forever
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			y.errorf(y.line(v), "YAML aliases (*name) are not supported")
			return nil, false
		default:
			return n, true
		}
	}
	return nil, false
}

// entry is one key of a mapping.
type entry struct {
	keyLine int
	value   ast.Node // nil for `key:` with nothing after it
}

// mapping is a YAML mapping with its keys already checked against the allowed ones.
type mapping struct {
	y      *yamlFile
	line   int    // where the mapping starts: missing keys are reported here
	prefix string // locates nested mappings in messages, e.g. `question "steps": `
	vals   map[string]entry
}

// mappingOf reads n as a mapping whose keys must be among allowed. what names the expected
// thing in the problem if n is not a mapping; ok is false then.
func (y *yamlFile) mappingOf(n ast.Node, line int, prefix, what string, allowed ...string) (*mapping, bool) {
	m := &mapping{y: y, line: line, prefix: prefix, vals: map[string]entry{}}
	n, ok := y.unwrap(n)
	if !ok {
		return m, false
	}
	values, ok := mappingValues(n)
	if !ok {
		if n != nil && y.line(n) > 0 {
			line = y.line(n)
		}
		y.errorf(line, "%s%s", prefix, what)
		return m, false
	}
	if len(values) > 0 {
		m.line = y.line(values[0].Key)
	}
	for _, mv := range values {
		key, kl := "", y.line(mv.Key)
		if mv.Key != nil && mv.Key.GetToken() != nil {
			key = mv.Key.GetToken().Value
		}
		if !slices.Contains(allowed, key) {
			y.errorf(kl, "%sunknown key %q (allowed: %s)", prefix, key, strings.Join(allowed, ", "))
			continue
		}
		if first, dup := m.vals[key]; dup {
			y.errorf(kl, "%sduplicate key %q (first on line %d)", prefix, key, first.keyLine)
			continue
		}
		value, ok := y.unwrap(mv.Value)
		if !ok {
			continue
		}
		if _, null := value.(*ast.NullNode); null {
			value = nil
		}
		m.vals[key] = entry{keyLine: kl, value: value}
	}
	return m, true
}

// mappingValues are the key-value pairs of a mapping node; ok is false if n is not a mapping.
func mappingValues(n ast.Node) (values []*ast.MappingValueNode, ok bool) {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, true
	}
	return nil, false
}

func (m *mapping) errorf(line int, key, format string, args ...any) {
	m.y.errorf(line, "%s%s: %s", m.prefix, key, fmt.Sprintf(format, args...))
}

// get returns the value of a required key, reporting it if absent or empty.
func (m *mapping) get(key string) (entry, bool) {
	e, ok := m.vals[key]
	switch {
	case !ok:
		m.y.errorf(m.line, "%smissing key %q", m.prefix, key)
		return e, false
	case e.value == nil:
		m.errorf(e.keyLine, key, "no value")
		return e, false
	}
	return e, true
}

// scalar returns the text of a scalar node; ok is false for mappings and lists.
func scalar(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.NullNode:
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		// numbers and booleans are text too where text is expected: `en: 2024` means "2024"
		if tk := v.GetToken(); tk != nil {
			return tk.Value, true
		}
		return "", true
	}
	return "", false
}

// str reads a required, non-empty string.
func (m *mapping) str(key string) string {
	e, ok := m.get(key)
	if !ok {
		return ""
	}
	s, ok := scalar(e.value)
	s = strings.TrimSpace(s)
	switch {
	case !ok:
		m.errorf(m.y.line(e.value), key, "must be a single value")
	case s == "":
		m.errorf(e.keyLine, key, "is empty")
	}
	return s
}

// id reads a required id.
func (m *mapping) id(key string) (string, int) {
	s := m.str(key)
	line := m.vals[key].keyLine
	if s != "" && !idPattern.MatchString(s) {
		m.errorf(line, key, "%q is not a valid id (use a-z, 0-9 and -, starting with a letter or digit)", s)
	}
	return s, line
}

// number reads a required whole number in [lo, hi].
func (m *mapping) number(key string, lo, hi int) int {
	e, ok := m.get(key)
	if !ok {
		return 0
	}
	s, _ := scalar(e.value)
	_, isInt := e.value.(*ast.IntegerNode)
	n, err := strconv.Atoi(s)
	if !isInt || err != nil {
		// Atoi also refuses hex and octal spellings; a writer of minutes never means those
		m.errorf(m.y.line(e.value), key, "must be a whole number from %d to %d", lo, hi)
		return 0
	}
	if n < lo || n > hi {
		m.errorf(m.y.line(e.value), key, "%d is outside %d–%d", n, lo, hi)
	}
	return n
}

// flag reads an optional boolean, false if absent.
func (m *mapping) flag(key string) bool {
	e, ok := m.vals[key]
	if !ok || e.value == nil {
		return false
	}
	b, isBool := e.value.(*ast.BoolNode)
	if !isBool {
		m.errorf(m.y.line(e.value), key, "must be true or false")
		return false
	}
	return b.Value
}

// list reads a required list and returns its items.
func (m *mapping) list(key string) ([]ast.Node, bool) {
	e, ok := m.get(key)
	if !ok {
		return nil, false
	}
	seq, isSeq := e.value.(*ast.SequenceNode)
	if !isSeq {
		m.errorf(m.y.line(e.value), key, "must be a list")
		return nil, false
	}
	return seq.Values, true
}

// text reads a required text in the content languages.
func (m *mapping) text(key string) Text {
	e, ok := m.get(key)
	if !ok {
		return Text{}
	}
	return m.y.text(e.value, e.keyLine, m.prefix+key)
}

// text reads n as a text by language ({de: "…", en: "…", fr: "…"}); where names it in
// messages. The required languages must be there; the others may be missing.
func (y *yamlFile) text(n ast.Node, line int, where string) Text {
	langs := i18n.Languages()
	keys := make([]string, len(langs))
	for i, l := range langs {
		keys[i] = string(l)
	}
	m, ok := y.mappingOf(n, line, where+": ", `must be a text per language, e.g. {de: "…", en: "…"}`, keys...)
	if !ok {
		return Text{}
	}
	t := Text{}
	for _, lang := range langs {
		e, ok := m.vals[string(lang)]
		if !ok {
			if slices.Contains(i18n.Required, lang) {
				y.errorf(line, "%s: missing %q", where, lang)
			}
			continue
		}
		s, isScalar := scalar(e.value)
		s = strings.TrimSpace(s)
		switch {
		case e.value != nil && !isScalar:
			y.errorf(y.line(e.value), "%s: %q must be a single text", where, lang)
		case s == "":
			y.errorf(e.keyLine, "%s: %q is empty", where, lang)
		default:
			t[lang] = s
		}
	}
	return t
}

// optional reports whether key is present, for keys that may be left out.
func (m *mapping) optional(key string) bool {
	_, ok := m.vals[key]
	return ok
}

// strList reads a required list of non-empty strings.
func (m *mapping) strList(key string) ([]string, int) {
	items, ok := m.list(key)
	if !ok {
		return nil, m.vals[key].keyLine
	}
	var out []string
	for i, n := range items {
		s, isScalar := scalar(n)
		s = strings.TrimSpace(s)
		switch {
		case !isScalar:
			m.errorf(m.y.line(n), key, "item %d must be a single text", i+1)
		case s == "":
			m.errorf(m.y.line(n), key, "item %d is empty", i+1)
		default:
			out = append(out, s)
		}
	}
	return out, m.vals[key].keyLine
}
