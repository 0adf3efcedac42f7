package library

import (
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"

	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
)

// A working tool is printed from its Markdown, not from the HTML page: a PDF of a web page would
// need a browser on the server, and the tools use only what prints well (modules/FORMAT.md:
// headings, paragraphs, lists, task lists, tables of at most six columns).

// toolMarkdown parses tool sources the way the content does, minus the HTML-only extras.
var toolMarkdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// Page geometry in millimetres (A4 portrait) and type sizes in points.
const (
	marginX      = 20.0
	marginTop    = 18.0
	marginBottom = 22.0 // leaves room for the footer
	bodySize     = 10.5
	bodyLine     = 5.2
	tableSize    = 9.0
	tableLine    = 4.2
	cellPad      = 1.6
	minRow       = 7.5 // an empty row of a form is tall enough to write in by hand
	listIndent   = 6.5
	boxSize      = 3.4 // a task's empty box
)

// writeToolPDF prints doc in lang (which doc must have) as an A4 portrait PDF.
func writeToolPDF(w io.Writer, doc *content.Doc, lang i18n.Lang, platform string, link func(string) string, stamp time.Time) error {
	title := doc.Title[lang]
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes("go", "I", goitalic.TTF)
	pdf.AddUTF8FontFromBytes("go", "BI", gobolditalic.TTF)
	pdf.SetTitle(title, true)
	pdf.SetSubject(i18n.T(lang, "library.tools.heading"), true)
	pdf.SetAuthor(platform, true)
	pdf.SetCreator(platform, true)
	pdf.SetLang(i18n.Tag(lang))
	pdf.SetCreationDate(stamp)
	pdf.SetModificationDate(stamp)
	pdf.SetMargins(marginX, marginTop, marginX)
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.AliasNbPages("{nb}")
	pageW, _ := pdf.GetPageSize()
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		pdf.SetDrawColor(150, 150, 150)
		pdf.SetLineWidth(0.2)
		pdf.Line(marginX, pdf.GetY()-1.5, pageW-marginX, pdf.GetY()-1.5)
		pdf.SetFont("go", "", 8.5)
		pdf.SetTextColor(70, 70, 70)
		right := platform + " · " + i18n.T(lang, "library.pdf.page", "Page", pdf.PageNo(), "Pages", "{nb}")
		rw := pdf.GetStringWidth(right) + 2
		pdf.SetX(marginX)
		pdf.CellFormat(pageW-2*marginX-rw, 5, fitText(pdf, title, pageW-2*marginX-rw-2), "", 0, "L", false, 0, "")
		pdf.CellFormat(rw, 5, right, "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	p := &printer{pdf: pdf, link: link, left: marginX, width: pageW - 2*marginX}
	pdf.SetFont("go", "B", 17)
	p.words(title, bodyLine*1.45, "")
	p.endLine(bodyLine * 1.45)
	pdf.Ln(3)

	src := doc.Source[lang]
	p.src = src
	root := toolMarkdown.Parser().Parse(text.NewReader(src))
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		p.block(n, 0)
	}
	if err := pdf.Error(); err != nil {
		return err
	}
	return pdf.Output(w)
}

// printer writes the blocks of a Markdown document onto the pages.
type printer struct {
	pdf   *fpdf.Fpdf
	src   []byte
	link  func(string) string
	left  float64 // the text's left edge, moved right inside lists
	width float64 // of the text column at the outer margin
	// linkURL is where the text written now links to, "" for none (see linked).
	linkURL string
}

func (p *printer) bottom() float64 {
	_, h := p.pdf.GetPageSize()
	return h - marginBottom
}

// need starts a new page unless h millimetres are left on this one.
func (p *printer) need(h float64) {
	if p.pdf.GetY()+h > p.bottom() {
		p.pdf.AddPage()
		p.pdf.SetX(p.left)
	}
}

// endLine finishes a line of flowing text, unless the text just wrapped onto a fresh line.
func (p *printer) endLine(h float64) {
	if p.pdf.GetX() > p.left+0.01 {
		p.pdf.Ln(h)
	}
	p.pdf.SetX(p.left)
}

// indent moves the text's left edge (for list items) and returns the way back.
func (p *printer) indent(by float64) (undo func()) {
	old := p.left
	p.left += by
	p.pdf.SetLeftMargin(p.left)
	return func() {
		p.left = old
		p.pdf.SetLeftMargin(old)
		p.pdf.SetX(old)
	}
}

func (p *printer) block(n ast.Node, depth int) {
	pdf := p.pdf
	switch n := n.(type) {
	case *ast.Heading:
		size := map[int]float64{1: 15, 2: 13, 3: 11.5}[n.Level]
		if size == 0 {
			size = bodySize + 0.5
		}
		h := size * 0.5
		pdf.Ln(2)
		p.need(h*2 + bodyLine*2) // a heading never ends a page alone
		pdf.SetFont("go", "B", size)
		p.inline(n, h, "B")
		p.endLine(h)
		pdf.Ln(1.2)
	case *ast.Paragraph, *ast.TextBlock:
		if lead(n) {
			p.need(bodyLine * 5) // a bold line that introduces what follows stays with it
		}
		p.need(bodyLine)
		pdf.SetFont("go", "", bodySize)
		p.inline(n, bodyLine, "")
		p.endLine(bodyLine)
		if _, ok := n.(*ast.Paragraph); ok {
			pdf.Ln(2.2)
		}
	case *ast.List:
		p.list(n, depth)
		if depth == 0 {
			pdf.Ln(2.2)
		}
	case *extast.Table:
		p.table(n)
		pdf.Ln(3)
	case *ast.ThematicBreak:
		p.need(6)
		y := pdf.GetY() + 2.5
		pdf.SetDrawColor(120, 120, 120)
		pdf.Line(p.left, y, marginX+p.width, y)
		pdf.Ln(6)
	case *ast.Blockquote:
		undo := p.indent(listIndent)
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			p.block(c, depth)
		}
		undo()
	case *ast.FencedCodeBlock, *ast.CodeBlock, *ast.HTMLBlock:
		pdf.SetFont("go", "", tableSize)
		lines := n.Lines()
		for i := range lines.Len() {
			seg := lines.At(i)
			p.need(tableLine)
			pdf.SetX(p.left)
			pdf.MultiCell(marginX+p.width-p.left, tableLine, strings.TrimRight(string(seg.Value(p.src)), "\n"), "", "L", false)
		}
		pdf.Ln(2)
	default:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			p.block(c, depth)
		}
	}
}

// lead reports whether paragraph n is nothing but strong text, a heading in all but name.
func lead(n ast.Node) bool {
	e, ok := n.FirstChild().(*ast.Emphasis)
	return ok && e.Level >= 2 && n.FirstChild() == n.LastChild()
}

// list prints a bullet, numbered or task list; a task gets an empty box to tick on paper.
func (p *printer) list(l *ast.List, depth int) {
	pdf := p.pdf
	num := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		pdf.SetFont("go", "", bodySize)
		p.need(bodyLine)
		pdf.SetX(p.left)
		y := pdf.GetY()
		switch box := taskBox(item); {
		case box != nil:
			top := y + (bodyLine-boxSize)/2
			pdf.SetDrawColor(0, 0, 0)
			pdf.SetLineWidth(0.3)
			pdf.Rect(p.left+0.3, top, boxSize, boxSize, "D")
			if box.IsChecked {
				pdf.Line(p.left+0.3, top, p.left+0.3+boxSize, top+boxSize)
				pdf.Line(p.left+0.3, top+boxSize, p.left+0.3+boxSize, top)
			}
		case l.IsOrdered():
			pdf.CellFormat(listIndent, bodyLine, strconv.Itoa(num)+".", "", 0, "L", false, 0, "")
			num++
		default:
			pdf.CellFormat(listIndent, bodyLine, map[bool]string{true: "•", false: "–"}[depth%2 == 0], "", 0, "L", false, 0, "")
		}
		undo := p.indent(listIndent)
		pdf.SetXY(p.left, y)
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			p.block(c, depth+1)
		}
		undo()
		if l.IsTight {
			pdf.Ln(0.8)
		}
	}
}

// taskBox is the check box of a task list item, or nil.
func taskBox(item ast.Node) *extast.TaskCheckBox {
	if first := item.FirstChild(); first != nil {
		if box, ok := first.FirstChild().(*extast.TaskCheckBox); ok {
			return box
		}
	}
	return nil
}

// inline writes the inline content of n as flowing text, in style ("", "B", "I", "BI").
func (p *printer) inline(n ast.Node, h float64, style string) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			p.words(string(c.Segment.Value(p.src)), h, style)
			if c.HardLineBreak() {
				p.pdf.Ln(h)
			} else if c.SoftLineBreak() {
				p.words(" ", h, style)
			}
		case *ast.String:
			p.words(string(c.Value), h, style)
		case *ast.Emphasis:
			add := "I"
			if c.Level >= 2 {
				add = "B"
			}
			p.inline(c, h, withStyle(style, add))
		case *ast.Link:
			dest := string(c.Destination)
			if strings.HasPrefix(dest, "/") && p.link != nil {
				dest = p.link(dest)
			}
			if !strings.Contains(dest, "://") && !strings.HasPrefix(dest, "mailto:") {
				dest = ""
			}
			p.linked(dest, func() { p.inline(c, h, style) })
		case *ast.AutoLink:
			url := string(c.URL(p.src))
			p.linked(url, func() { p.words(string(c.Label(p.src)), h, style) })
		case *extast.TaskCheckBox:
			// drawn by list
		case *ast.RawHTML:
			for i := range c.Segments.Len() {
				seg := c.Segments.At(i)
				p.words(string(seg.Value(p.src)), h, style)
			}
		case *ast.Image:
			p.words(plain(c, p.src), h, style)
		default:
			p.inline(c, h, style)
		}
	}
}

// linked writes what write writes as a link to url (nothing special when url is "").
func (p *printer) linked(url string, write func()) {
	if url == "" {
		write()
		return
	}
	old := p.linkURL
	p.linkURL = url
	p.pdf.SetTextColor(20, 60, 140)
	write()
	p.pdf.SetTextColor(0, 0, 0)
	p.linkURL = old
}

// words writes s word by word: fpdf's Write rescans its whole text for every character, and
// one word at a time it still wraps between words as it should.
func (p *printer) words(s string, h float64, style string) {
	pdf := p.pdf
	pdf.SetFontStyle(style)
	for _, w := range strings.SplitAfter(s, " ") {
		if w == "" {
			continue
		}
		if p.linkURL != "" {
			pdf.WriteLinkString(h, w, p.linkURL)
		} else {
			pdf.Write(h, w)
		}
	}
}

func withStyle(style, add string) string {
	b, i := strings.Contains(style, "B") || add == "B", strings.Contains(style, "I") || add == "I"
	return map[bool]string{true: "B"}[b] + map[bool]string{true: "I"}[i]
}

// plain is the text of n's inline content, without styles.
func plain(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.RawHTML:
			for i := range c.Segments.Len() {
				seg := c.Segments.At(i)
				b.Write(seg.Value(src))
			}
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// fitText shortens s with "…" until it is at most w millimetres wide in the current font.
func fitText(pdf *fpdf.Fpdf, s string, w float64) string {
	if pdf.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && pdf.GetStringWidth(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return strings.TrimSpace(string(r)) + "…"
}

// cell is one table cell as printed: plain text, bold when the whole cell is strong.
type cell struct {
	text  string
	bold  bool
	align string
}

// table prints a table across the text width; cells wrap, rows never split, and the header row is
// repeated at the top of every page the table continues on.
func (p *printer) table(t *extast.Table) {
	pdf := p.pdf
	var rows [][]cell
	header := 0
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		var row []cell
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			tc := c.(*extast.TableCell)
			_, isHeader := r.(*extast.TableHeader)
			row = append(row, cell{text: plain(tc, p.src), bold: isHeader || lead(tc), align: alignOf(tc.Alignment)})
		}
		if _, ok := r.(*extast.TableHeader); ok {
			header = 1
		}
		rows = append(rows, row)
	}
	cols := len(t.Alignments)
	if cols == 0 || len(rows) == 0 {
		return
	}
	for i := range rows { // GFM lets rows be shorter than the header
		for len(rows[i]) < cols {
			rows[i] = append(rows[i], cell{})
		}
		rows[i] = rows[i][:cols]
	}
	widths := p.columnWidths(rows, cols, marginX+p.width-p.left)

	pdf.SetFont("go", "", tableSize)
	auto, margin := pdf.GetAutoPageBreak()
	pdf.SetAutoPageBreak(false, margin) // rows are placed here, never split by fpdf
	defer pdf.SetAutoPageBreak(auto, margin)
	pdf.SetDrawColor(90, 90, 90)
	pdf.SetLineWidth(0.2)
	// The header starts a page together with the first row, never alone at the foot of one.
	first := 0.0
	for i := range min(header+1, len(rows)) {
		first += p.rowHeight(rows[i], widths, i < header)
	}
	if pdf.GetY()+first > p.bottom() {
		pdf.AddPage()
	}
	for i, row := range rows {
		h := p.rowHeight(row, widths, i < header)
		if pdf.GetY()+h > p.bottom() {
			pdf.AddPage()
			if i >= header {
				for j := range header {
					p.row(rows[j], widths, p.rowHeight(rows[j], widths, true), true)
				}
			}
		}
		p.row(row, widths, h, i < header)
	}
	pdf.SetX(p.left)
}

func alignOf(a extast.Alignment) string {
	switch a {
	case extast.AlignCenter:
		return "C"
	case extast.AlignRight:
		return "R"
	}
	return "L"
}

func (p *printer) setCellFont(c cell) {
	style := ""
	if c.bold {
		style = "B"
	}
	p.pdf.SetFont("go", style, tableSize)
}

func (p *printer) rowHeight(row []cell, widths []float64, header bool) float64 {
	lines := 1
	for i, c := range row {
		p.setCellFont(c)
		lines = max(lines, len(p.pdf.SplitText(c.text, widths[i]-2*cellPad+2*p.pdf.GetCellMargin())))
	}
	h := float64(lines)*tableLine + 2*cellPad
	if !header {
		h = max(h, minRow)
	}
	return h
}

func (p *printer) row(row []cell, widths []float64, h float64, header bool) {
	pdf := p.pdf
	x, y := p.left, pdf.GetY()
	for i, c := range row {
		if header {
			pdf.SetFillColor(228, 228, 228)
			pdf.Rect(x, y, widths[i], h, "FD")
		} else {
			pdf.Rect(x, y, widths[i], h, "D")
		}
		p.setCellFont(c)
		for k, line := range pdf.SplitText(c.text, widths[i]-2*cellPad+2*pdf.GetCellMargin()) {
			pdf.SetXY(x+cellPad, y+cellPad+float64(k)*tableLine)
			pdf.CellFormat(widths[i]-2*cellPad, tableLine, line, "", 0, c.align, false, 0, "")
		}
		x += widths[i]
	}
	pdf.SetXY(p.left, y+h)
}

// columnWidths shares the width w among the columns: every column gets at least its longest
// word, the rest goes by how much text the column holds, and a column that is empty to be
// filled in by hand still gets a fair share.
func (p *printer) columnWidths(rows [][]cell, cols int, w float64) []float64 {
	pdf := p.pdf
	natural, least := make([]float64, cols), make([]float64, cols)
	for _, row := range rows {
		for i, c := range row {
			p.setCellFont(c)
			natural[i] = max(natural[i], pdf.GetStringWidth(c.text)+2*cellPad+1)
			for _, word := range strings.Fields(c.text) {
				least[i] = max(least[i], pdf.GetStringWidth(word)+2*cellPad+1)
			}
		}
	}
	fair := w / float64(cols) * 0.6
	want, sumWant, sumLeast := make([]float64, cols), 0.0, 0.0
	for i := range cols {
		least[i] = max(least[i], 10)
		want[i] = max(natural[i], fair, least[i])
		sumWant += want[i]
		sumLeast += least[i]
	}
	out := make([]float64, cols)
	switch {
	case sumWant <= w: // everything fits on one line: spread the table over the full width
		for i := range cols {
			out[i] = want[i] * w / sumWant
		}
	case sumLeast >= w: // even the longest words do not fit: they will be broken
		for i := range cols {
			out[i] = least[i] * w / sumLeast
		}
	default:
		spare := w - sumLeast
		for i := range cols {
			out[i] = least[i] + spare*(want[i]-least[i])/(sumWant-sumLeast)
		}
	}
	for i := range out {
		out[i] = math.Floor(out[i]*100) / 100
	}
	return out
}
