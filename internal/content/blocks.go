package content

import (
	"bytes"
	"html"
	"slices"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Two block forms that plain Markdown lacks and lessons need (modules/FORMAT.md):
//
//   - a figure: an image alone in its paragraph, ![alt](media/x.svg "caption"), becomes
//     <figure> with the image and the caption below it;
//   - a model answer: a heading with the class "answer" (### Musterlösung {.answer}) and
//     everything after it up to the next heading of the same or a higher level become a
//     collapsed <details> box, so that learners try an exercise before reading its answer.

var (
	kindFigure    = ast.NewNodeKind("Figure")
	kindAnswer    = ast.NewNodeKind("Answer")
	kindSummary   = ast.NewNodeKind("AnswerSummary")
	kindTaskLabel = ast.NewNodeKind("TaskLabel")
)

// taskLabel wraps a task list item's check box and its text in a <label>: a check box without a
// name is an unlabelled form field to a screen reader (WCAG 4.1.2), however obvious the text
// beside it looks.
type taskLabel struct{ ast.BaseInline }

func (n *taskLabel) Kind() ast.NodeKind         { return kindTaskLabel }
func (n *taskLabel) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

type figureNode struct {
	ast.BaseBlock
	caption []byte
}

func (n *figureNode) Kind() ast.NodeKind { return kindFigure }
func (n *figureNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"caption": string(n.caption)}, nil)
}

type answerNode struct{ ast.BaseBlock }

func (n *answerNode) Kind() ast.NodeKind         { return kindAnswer }
func (n *answerNode) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

type summaryNode struct{ ast.BaseBlock }

func (n *summaryNode) Kind() ast.NodeKind         { return kindSummary }
func (n *summaryNode) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

// blockTransformer rewrites the parsed document into figures and answer boxes.
type blockTransformer struct{}

func (blockTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var paras []*ast.Paragraph
	var answers []*ast.Heading
	var boxes []*extast.TaskCheckBox
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *extast.TaskCheckBox:
			boxes = append(boxes, n)
		case *ast.Paragraph:
			paras = append(paras, n)
		case *ast.Heading:
			if isAnswer(n) {
				answers = append(answers, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, box := range boxes {
		parent, label := box.Parent(), &taskLabel{}
		var rest []ast.Node
		for n := ast.Node(box); n != nil; n = n.NextSibling() {
			rest = append(rest, n)
		}
		parent.InsertBefore(parent, box, label)
		for _, n := range rest {
			parent.RemoveChild(parent, n)
			label.AppendChild(label, n)
		}
	}
	for _, p := range paras {
		img := loneImage(p, src)
		if img == nil {
			continue
		}
		fig := &figureNode{caption: img.Title}
		img.Title = nil
		p.Parent().ReplaceChild(p.Parent(), p, fig)
		fig.AppendChild(fig, img)
	}
	for _, h := range answers {
		parent := h.Parent()
		box, sum := &answerNode{}, &summaryNode{}
		var body []ast.Node
		for n := h.NextSibling(); n != nil; n = n.NextSibling() {
			if next, ok := n.(*ast.Heading); ok && next.Level <= h.Level {
				break
			}
			body = append(body, n)
		}
		parent.InsertBefore(parent, h, box)
		parent.RemoveChild(parent, h)
		sum.AppendChild(sum, h)
		box.AppendChild(box, sum)
		for _, n := range body {
			parent.RemoveChild(parent, n)
			box.AppendChild(box, n)
		}
	}
}

func isAnswer(h *ast.Heading) bool {
	class, ok := h.AttributeString("class")
	if !ok {
		return false
	}
	b, _ := class.([]byte)
	return slices.ContainsFunc(bytes.Fields(b), func(f []byte) bool { return string(f) == "answer" })
}

// loneImage returns the image that is the only content of paragraph p, or nil.
func loneImage(p *ast.Paragraph, src []byte) *ast.Image {
	var img *ast.Image
	for c := p.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Image:
			if img != nil {
				return nil
			}
			img = c
		case *ast.Text:
			if len(bytes.TrimSpace(c.Segment.Value(src))) > 0 {
				return nil
			}
		default:
			return nil
		}
	}
	return img
}

// blockRenderer writes figures and answer boxes.
type blockRenderer struct{}

func (blockRenderer) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(kindFigure, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString("<figure>\n")
			return ast.WalkContinue, nil
		}
		if c := n.(*figureNode).caption; len(c) > 0 {
			_, _ = w.WriteString("\n<figcaption>" + html.EscapeString(string(c)) + "</figcaption>")
		}
		_, _ = w.WriteString("\n</figure>\n")
		return ast.WalkContinue, nil
	})
	r.Register(kindAnswer, func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(`<details class="answer">` + "\n")
		} else {
			_, _ = w.WriteString("</details>\n")
		}
		return ast.WalkContinue, nil
	})
	r.Register(kindTaskLabel, func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(`<label class="task">`)
		} else {
			_, _ = w.WriteString("</label>")
		}
		return ast.WalkContinue, nil
	})
	r.Register(kindSummary, func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString("<summary>")
		} else {
			_, _ = w.WriteString("</summary>\n")
		}
		return ast.WalkContinue, nil
	})
}
