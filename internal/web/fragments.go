package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
)

// The learner's busiest fragments are written here in Go rather than by html/template: the module
// cards of the dashboard, a module's task list (module page, beside every lesson) and the questions
// of a self-check. Each repeats a few dozen template actions per module, lesson or choice, and
// html/template evaluates every action by reflection and runs an escaper on it — most of a signed-in
// page's time went there (docs/performance.md). The markup is the templates' in
// testdata/fragments.html, byte for byte: TestFragmentsMatchTheirTemplates renders both for every
// shipped module and many states, so a change to one without the other fails.
//
// Every value written goes through esc, which escapes exactly as html/template does in text and
// quoted attributes; URLs are the platform's own paths of content ids (lower-case slugs, checked
// when the content is loaded), which html/template's URL normaliser leaves unchanged.

// htmlEscaper is html/template's escaping of text and quoted attribute values.
var htmlEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// frag builds a fragment of HTML.
type frag struct{ strings.Builder }

// raw writes markup of the platform's own.
func (f *frag) raw(s ...string) {
	for _, p := range s {
		f.WriteString(p)
	}
}

// esc writes a value, escaped.
func (f *frag) esc(s string) { htmlEscaper.WriteString(&f.Builder, s) }

// url writes a whole URL attribute value as html/template does: a URL whose scheme is not http,
// https or mailto is replaced by "#ZgotmplZ", the rest normalised and escaped.
func (f *frag) url(s string) {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		s = "#ZgotmplZ"
	}
	f.urlPart(s)
}

// urlPart writes a value inside a URL attribute after a fixed start ("/modules/", "mailto:") as
// html/template does: bytes that are not allowed in a URL percent-encoded (valid escapes kept),
// then escaped for the attribute.
func (f *frag) urlPart(s string) {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		b.WriteString(s[written:i])
		fmt.Fprintf(&b, "%%%02x", c)
		written = i + 1
	}
	if written == 0 {
		f.esc(s)
		return
	}
	b.WriteString(s[written:])
	f.esc(b.String())
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func (f *frag) int(n int) { f.WriteString(strconv.Itoa(n)) }

func (f *frag) html() template.HTML { return template.HTML(f.String()) }

// lessonTasks is a module's lessons as a task list with their done marks; current is the lesson
// on screen ("" on the module page).
func lessonTasks(lang i18n.Lang, p learning.ModuleProgress, current string) template.HTML {
	var f frag
	m := p.Module
	f.raw(`<ol class="task-list">`, "\n")
	for i, l := range m.Lessons {
		done := p.Done[l.ID]
		f.raw(`<li class="task`)
		if done {
			f.raw(` done`)
		}
		if l.ID == current {
			f.raw(` current`)
		}
		f.raw(`">`, "\n", `<span class="task-number" aria-hidden="true">`)
		f.int(i + 1)
		f.raw(`</span>`, "\n", `<a href="/modules/`)
		f.urlPart(m.ID)
		f.raw(`/lessons/`)
		f.urlPart(l.ID)
		f.raw(`"`)
		if l.ID == current {
			f.raw(` aria-current="page"`)
		}
		f.raw(`>`)
		f.esc(l.Title.In(lang))
		f.raw(`</a>`, "\n")
		if done {
			taskState(&f, "done", i18n.T(lang, "learning.lesson.done"))
		} else {
			taskState(&f, "open", i18n.T(lang, "learning.lesson.open"))
		}
		f.raw("\n</li>\n")
	}
	if p.HasCheck {
		f.raw(`<li class="task check`)
		if p.Passed {
			f.raw(` done`)
		}
		f.raw(`">`, "\n", `<span class="task-number check-mark" aria-hidden="true"></span>`, "\n", `<a href="/modules/`)
		f.urlPart(m.ID)
		f.raw(`/check">`)
		f.esc(i18n.T(lang, "look.lesson.nav.check"))
		f.raw("</a>\n")
		if p.Passed {
			taskState(&f, "done", i18n.T(lang, "learning.result.passed.short"))
		} else {
			taskState(&f, "open", i18n.T(lang, "learning.lesson.open"))
		}
		f.raw("\n</li>\n")
	}
	f.raw(`</ol>`)
	return f.html()
}

func taskState(f *frag, class, label string) {
	f.raw(`<span class="state `, class, `"><span class="label">`)
	f.esc(label)
	f.raw(`</span></span>`)
}

// moduleCards are the dashboard's module cards, one list item each.
func moduleCards(lang i18n.Lang, modules []learning.ModuleProgress) template.HTML {
	var f frag
	for i, p := range modules {
		m := p.Module
		title := m.Title.In(lang)
		started := !p.LastActivity.IsZero()
		f.raw(`<li><article class="module-card" aria-labelledby="m-`)
		f.esc(m.ID)
		f.raw(`">`, "\n", `<div class="card-head"><span class="module-number" aria-hidden="true">`)
		f.int(i + 1)
		f.raw(`</span>`, "\n", `<p class="state`)
		state := "look.state.new"
		switch {
		case p.Complete:
			f.raw(` done`)
			state = "look.state.done"
		case started:
			f.raw(` progress`)
			state = "look.state.progress"
		}
		f.raw(`">`)
		f.esc(i18n.T(lang, state))
		f.raw(`</p></div>`, "\n", `<h3 id="m-`)
		f.esc(m.ID)
		f.raw(`"><a href="/modules/`)
		f.urlPart(m.ID)
		f.raw(`"><span class="visually-hidden">`)
		f.esc(i18n.T(lang, "look.module.number", "Number", i+1))
		f.esc(i18n.Colon(lang) + " ")
		f.raw(`</span>`)
		f.esc(title)
		f.raw(`</a></h3>`, "\n", `<p class="summary">`)
		f.esc(m.Summary.In(lang))
		f.raw(`</p>`, "\n", `<div class="card-foot">`, "\n", `<progress value="`)
		f.int(p.Percent)
		f.raw(`" max="100" aria-labelledby="m-`)
		f.esc(m.ID)
		f.raw(`" aria-describedby="p-`)
		f.esc(m.ID)
		f.raw(`">`)
		percent := i18n.Percent(lang, p.Percent)
		f.esc(percent)
		f.raw(`</progress>`, "\n", `<p id="p-`)
		f.esc(m.ID)
		f.raw(`" class="percent">`)
		f.esc(i18n.T(lang, "learning.percent_done", "Percent", percent))
		f.raw(` · `)
		f.esc(i18n.N(lang, "learning.lessons_done", p.LessonsTotal, "Done", p.LessonsDone))
		if !p.Complete {
			f.raw(` · `)
			f.esc(i18n.N(lang, "learning.minutes_left", p.MinutesLeft))
		}
		f.raw("</p>\n")
		if p.HasCheck {
			f.raw(`<p class="check-line">`)
			switch {
			case p.Passed:
				f.esc(i18n.T(lang, "learning.check.status.passed", "Best", i18n.Percent(lang, p.BestScore)))
			case p.Attempts > 0:
				f.esc(i18n.T(lang, "learning.check.status.failed", "Best", i18n.Percent(lang, p.BestScore),
					"PassMark", i18n.Percent(lang, m.Check.PassMark)))
			default:
				f.esc(i18n.T(lang, "learning.check.status.none"))
			}
			f.raw("</p>\n")
		}
		f.raw(`<p class="card-action">`)
		if p.Complete {
			f.raw(`<a role="button" class="secondary" href="/modules/`)
			f.urlPart(m.ID)
			f.raw(`">`)
			f.esc(i18n.T(lang, "look.action.review"))
			hiddenTitle(&f, lang, title)
			if c := p.Certificate; c != nil {
				f.raw(` <a href="`)
				f.url(c.Path())
				f.raw(`">`)
				f.esc(i18n.T(lang, "learning.certificate.view"))
				hiddenTitle(&f, lang, title)
			}
			f.raw("\n")
		} else {
			f.raw(`<a role="button" href="`)
			f.url(p.Continue)
			f.raw(`">`)
			if started {
				f.esc(i18n.T(lang, "look.action.continue"))
			} else {
				f.esc(i18n.T(lang, "look.action.start"))
			}
			hiddenTitle(&f, lang, title)
		}
		f.raw("</p>\n</div>\n</article></li>\n")
	}
	return f.html()
}

// hiddenTitle ends a link with the module's title for screen readers.
func hiddenTitle(f *frag, lang i18n.Lang, title string) {
	f.raw(`<span class="visually-hidden">`)
	f.esc(i18n.Colon(lang) + " ")
	f.esc(title)
	f.raw(`</span></a>`)
}

// checkQuestions are the questions of a self-check's form; open reports whether a question came
// back unanswered.
func checkQuestions(lang i18n.Lang, sheet *learning.Sheet, open func(id string) bool) template.HTML {
	var f frag
	total := len(sheet.Questions)
	for i, q := range sheet.Questions {
		isOpen := open(q.ID)
		f.raw(`<fieldset id="q-`)
		f.esc(q.ID)
		f.raw(`"`)
		if isOpen {
			f.raw(` class="open"`)
		}
		f.raw(`>`, "\n", `<legend><strong>`)
		f.esc(i18n.T(lang, "learning.check.question", "Number", i+1, "Total", total))
		f.raw(`</strong> `)
		f.esc(q.Text.In(lang))
		f.raw("\n", `<small class="kind">`)
		input := "radio"
		if q.Kind == content.Multiple {
			input = "checkbox"
			f.esc(i18n.T(lang, "learning.check.kind.multiple"))
		} else {
			f.esc(i18n.T(lang, "learning.check.kind.single"))
		}
		f.raw("</small></legend>\n")
		if isOpen {
			f.raw(`<p class="field-error" id="e-`)
			f.esc(q.ID)
			f.raw(`">`)
			f.esc(i18n.T(lang, "learning.check.missing.field"))
			f.raw("</p>\n")
		}
		for _, c := range q.Choices {
			f.raw(`<label for="c-`)
			f.esc(q.ID)
			f.raw(`-`)
			f.esc(c.ID)
			f.raw(`"><input type="`, input, `" id="c-`)
			f.esc(q.ID)
			f.raw(`-`)
			f.esc(c.ID)
			f.raw(`" name="`)
			f.esc(q.ID)
			f.raw(`" value="`)
			f.esc(c.ID)
			f.raw(`"`)
			if sheet.Ticked(q.ID, c.ID) {
				f.raw(` checked`)
			}
			if isOpen {
				f.raw(` aria-describedby="e-`)
				f.esc(q.ID)
				f.raw(`"`)
			}
			f.raw(`> `)
			f.esc(c.Text.In(lang))
			f.raw("</label>\n")
		}
		f.raw("</fieldset>\n")
	}
	return f.html()
}
