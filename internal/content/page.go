package content

import (
	"bytes"
	"html/template"
	"strings"
)

// RenderPage renders a standalone Markdown page, such as an operator's own imprint, the way
// lessons are rendered: raw HTML shows up escaped, dangerous link schemes are dropped, tables get
// their scrollable region. Front matter is not expected; a leading byte-order mark is dropped.
func RenderPage(src []byte) (template.HTML, error) {
	s := strings.TrimPrefix(strings.ReplaceAll(string(src), "\r\n", "\n"), "\ufeff")
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(s), &buf); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil //nolint:gosec // goldmark output without WithUnsafe
}
