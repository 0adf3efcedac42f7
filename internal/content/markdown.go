package content

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"saferspaces/internal/i18n"
)

// markdown renders lesson bodies. It stays without html.WithUnsafe: content is trusted but
// rendered into pages under a strict CSP, and FORMAT.md promises authors that raw HTML shows
// up escaped, which escapedHTML below does instead of goldmark's silent omission.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM, extension.Footnote),
	goldmark.WithParserOptions(parser.WithAutoHeadingID(), parser.WithHeadingAttribute(),
		parser.WithASTTransformers(util.Prioritized(blockTransformer{}, 100))),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(escapedHTML{}, 100),
		util.Prioritized(blockRenderer{}, 100))),
)

// escapedHTML renders raw HTML as visible text, so an author sees what was not rendered
// instead of wondering where a paragraph went.
type escapedHTML struct{}

func (escapedHTML) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		var raw strings.Builder
		for i := range b.Lines().Len() {
			seg := b.Lines().At(i)
			raw.Write(seg.Value(src))
		}
		if b.HasClosure() {
			raw.Write(b.ClosureLine.Value(src))
		}
		_, _ = w.WriteString("<p>" + html.EscapeString(strings.TrimRight(raw.String(), "\n")) + "</p>\n")
		return ast.WalkSkipChildren, nil
	})
	r.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		segs := n.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			seg := segs.At(i)
			_, _ = w.WriteString(html.EscapeString(string(seg.Value(src))))
		}
		return ast.WalkSkipChildren, nil
	})
}

// link is a link from a document into the platform, checked once every module is known.
type link struct {
	file string
	line int
	dest string
}

// image is an image in a lesson, checked against the module's media/ folder.
type image struct {
	file string
	line int
	name string // file name in media/
	dir  string // the module's media folder, filled by the loader
}

// docFile is one language of a Markdown document (lesson, case, tool).
type docFile struct {
	title   string
	summary []string
	body    template.HTML
	source  []byte
	words   int
	links   []link
	images  []image
}

// internalPrefixes are the paths of the platform that documents link to and that are checked.
var internalPrefixes = []string{"/modules/", "/glossary", "/cases/", "/tools/"}

// decodeDoc reads one NN-slug.LANG.md file of a document (what: lesson, case, tool). mediaURL
// gives the URL that a media/NAME image links to ("/modules/{module}/media/NAME?v=…"); nil means
// the document may not have images.
func decodeDoc(src []byte, file, what string, lang i18n.Lang, mediaURL func(name string) string, ps *problems) docFile {
	var lf docFile
	s := strings.TrimPrefix(strings.ReplaceAll(string(src), "\r\n", "\n"), "\ufeff")
	front, body, bodyLine, problem := splitFrontMatter(s)
	if problem != "" {
		ps.add(file, 1, "%s", problem)
		return lf
	}
	y := &yamlFile{name: file, offset: 1, ps: ps}
	if n, ok := y.parse([]byte(front)); ok {
		if n == nil {
			ps.add(file, 1, `front matter: missing key "title"`)
		} else if f, ok := y.mappingOf(n, 2, "front matter: ", "must be a mapping with title and summary", "title", "summary"); ok {
			lf.title = f.str("title")
			if f.optional("summary") {
				var line int
				lf.summary, line = f.strList("summary")
				if n := len(lf.summary); n > 0 && (n < 2 || n > 6) {
					f.errorf(line, "summary", "has %d points; give 2 to 6", n)
				}
			}
		}
	}

	lf.words = len(strings.Fields(body))
	if lf.words == 0 {
		ps.add(file, bodyLine, "%s text is empty", what)
	}
	source := []byte(body)
	lf.source = source
	ctx := parser.NewContext(parser.WithIDs(&headingIDs{seen: map[string]bool{}}))
	doc := markdown.Parser().Parse(text.NewReader(source), parser.WithContext(ctx))
	lineOf := func(n ast.Node) int { return bodyLine + bytes.Count(source[:offsetOf(n)], []byte("\n")) }
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			dest := string(n.Destination)
			for _, p := range internalPrefixes {
				if strings.HasPrefix(dest, p) {
					lf.links = append(lf.links, link{file: file, line: lineOf(n), dest: dest})
					break
				}
			}
		case *ast.Image:
			line := lineOf(n)
			dest := string(n.Destination)
			name, ok := strings.CutPrefix(dest, "media/")
			switch {
			case mediaURL == nil:
				ps.add(file, line, "image %s: only lessons can have images", dest)
			case !ok || name == "" || strings.ContainsAny(name, "/\\?#") || strings.HasPrefix(name, "."):
				ps.add(file, line, "image %s: images must be files of the module's media folder, written media/FILE", dest)
			default:
				lf.images = append(lf.images, image{file: file, line: line, name: name})
				n.Destination = []byte(mediaURL(name))
			}
			if strings.TrimSpace(string(altText(n, source))) == "" {
				ps.add(file, line, "image %s has no alt text: write ![what the image shows](%s)", dest, dest)
			}
		case *extast.Table:
			// Tools are printed as PDF on A4 portrait, where more columns no longer fit.
			if cols := len(n.Alignments); what == "tool" && cols > maxToolColumns {
				ps.add(file, bodyLine+bytes.Count(source[:blockStart(n)], []byte("\n")), "table has %d columns; a tool's tables may have at most %d, so they fit an A4 page", cols, maxToolColumns)
			}
		}
		return ast.WalkContinue, nil
	})
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, source, doc); err != nil {
		ps.add(file, 0, "cannot render Markdown: %v", err)
	}
	lf.body = template.HTML(scrollableTables(buf.String(), lang)) // goldmark escapes text and raw HTML, and drops unsafe URLs
	return lf
}

// maxToolColumns is the most columns a table of a working tool may have (FORMAT.md).
const maxToolColumns = 6

// blockStart is where a block starts in the source: its first line, or its first descendant's.
func blockStart(n ast.Node) int {
	for ; n != nil; n = n.FirstChild() {
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return n.Lines().At(0).Start
		}
	}
	return 0
}

// altText is the text of an image's description, as goldmark collects it.
func altText(n ast.Node, source []byte) []byte {
	var b bytes.Buffer
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			b.Write(t.Segment.Value(source))
		} else {
			b.Write(altText(c, source))
		}
	}
	return b.Bytes()
}

// scrollableTables puts every table in a named, keyboard-focusable region that scrolls sideways,
// so a wide table neither breaks a narrow screen nor hides columns from keyboard users (WCAG
// 1.4.10, 2.1.1). A literal "<table>" can only come from goldmark: raw HTML in lessons is escaped.
func scrollableTables(html string, lang i18n.Lang) string {
	label := i18n.T(lang, "content.table_region")
	html = strings.ReplaceAll(html, "<table>", `<div class="table-scroll" role="region" tabindex="0" aria-label="`+label+`"><table>`)
	return strings.ReplaceAll(html, "</table>", "</table></div>")
}

// splitFrontMatter splits "---\n<yaml>---\n<body>"; bodyLine is the 1-based line the body
// starts on, so positions in the body map back to the file.
func splitFrontMatter(s string) (front, body string, bodyLine int, problem string) {
	rest, found := strings.CutPrefix(s, "---\n")
	if !found {
		return "", "", 0, `missing front matter: start the file with a "---" line, title: "…" and another "---" line`
	}
	line, start := 2, 0
	for start <= len(rest) {
		end := strings.IndexByte(rest[start:], '\n')
		next := len(rest) + 1
		if end >= 0 {
			end += start
			next = end + 1
		} else {
			end = len(rest)
		}
		if strings.TrimRight(rest[start:end], " \t") == "---" {
			if next > len(rest) {
				next = len(rest)
			}
			return rest[:start], rest[next:], line + 1, ""
		}
		start, line = next, line+1
	}
	return "", "", 0, `front matter is not closed by a "---" line`
}

// offsetOf finds where an inline node starts in the source: inline nodes carry no position,
// but their text does, and the enclosing block knows its first line.
func offsetOf(n ast.Node) int {
	found := -1
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			found = t.Segment.Start
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	if found >= 0 {
		return found
	}
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			return p.Lines().At(0).Start
		}
	}
	return 0
}

// headingIDs makes heading anchors readable in German: goldmark's own generator drops every
// non-ASCII letter ("Räume" → "rume"), ours spells umlauts out ("raeume") as Germans do in URLs.
type headingIDs struct{ seen map[string]bool }

func (h *headingIDs) Generate(value []byte, _ ast.NodeKind) []byte {
	spelled := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss").Replace(strings.ToLower(string(value)))
	words := strings.FieldsFunc(spelled, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') })
	base := cmp.Or(strings.Join(words, "-"), "section")
	id := base
	for i := 1; h.seen[id]; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	h.seen[id] = true
	return []byte(id)
}

func (h *headingIDs) Put(value []byte) { h.seen[string(value)] = true }
