package web

import (
	"html/template"

	"saferspaces/internal/i18n"
)

// The contents of the learner's two busiest pages, the dashboard and the lesson, written in Go
// (see fragments.go); their templates are in testdata/fragments.html.

// dashboardContent is the dashboard: the programme's progress and where to continue, what is left
// to do, and the module cards.
func dashboardContent(d *dashboardData) template.HTML {
	lang := d.Lang
	var f frag
	f.raw("<h1>")
	f.esc(i18n.T(lang, "learning.dashboard.heading"))
	f.raw("</h1>\n", `<p class="lead">`)
	f.esc(i18n.T(lang, "learning.dashboard.welcome", "Name", d.User.Name))
	f.raw("</p>\n\n", `<div class="overview-row">`, "\n", `<section aria-labelledby="programme-heading" class="programme card">`, "\n", `<h2 id="programme-heading">`)
	f.esc(i18n.T(lang, "learning.programme.heading"))
	f.raw("</h2>\n", `<p id="programme-label">`)
	pr := d.Programme
	f.esc(i18n.N(lang, "learning.programme.modules", pr.ModulesTotal, "Done", pr.ModulesDone))
	f.raw("</p>\n", `<progress value="`)
	f.int(pr.Percent)
	f.raw(`" max="100" aria-labelledby="programme-label" aria-describedby="programme-percent">`)
	percent := i18n.Percent(lang, pr.Percent)
	f.esc(percent)
	f.raw("</progress>\n", `<p id="programme-percent" class="percent">`)
	f.esc(i18n.T(lang, "learning.percent_done", "Percent", percent))
	if !pr.Complete {
		f.raw(" · ")
		if pr.MinutesLeft >= 120 {
			f.esc(i18n.N(lang, "learning.hours_left", pr.HoursLeft()))
		} else {
			f.esc(i18n.N(lang, "learning.minutes_left", pr.MinutesLeft))
		}
	}
	f.raw("</p>\n")
	if pr.Complete {
		f.raw(`<p class="done-mark">`)
		f.esc(i18n.T(lang, "learning.programme.complete"))
		if c := pr.Certificate; c != nil {
			f.raw(` <a href="`)
			f.url(c.Path())
			f.raw(`">`)
			f.esc(i18n.T(lang, "learning.certificate.view"))
			f.raw(`</a>`)
		}
		f.raw("</p>\n")
	} else if r := pr.Resume; r != nil {
		f.raw(`<p><a role="button" href="`)
		f.url(r.Continue)
		f.raw(`">`)
		if r.LastActivity.IsZero() {
			f.esc(i18n.T(lang, "learning.next_module"))
		} else {
			f.esc(i18n.T(lang, "learning.continue"))
		}
		f.esc(i18n.Colon(lang) + " ")
		f.esc(r.Module.Title.In(lang))
		if l := r.ContinueLesson; l != nil {
			f.raw(" – ")
			f.esc(l.Title.In(lang))
		}
		f.raw("</a></p>\n")
	}
	f.raw("\n", `<p><a href="/certificates">`)
	f.esc(i18n.T(lang, "learning.certificates.link", "Count", d.Certificates))
	f.raw("</a></p>\n</section>\n\n", `<section aria-labelledby="left-heading" class="programme-left card">`, "\n", `<h2 id="left-heading">`)
	f.esc(i18n.T(lang, "learning.left.heading"))
	f.raw("</h2>\n")
	if pr.Complete {
		f.raw("<p>")
		f.esc(i18n.T(lang, "learning.left.none"))
		f.raw("</p>\n")
	} else {
		f.raw(`<p id="left-intro">`)
		f.esc(i18n.N(lang, "learning.left.intro", len(d.Left)))
		f.raw("</p>\n", `<ol class="left-list" aria-labelledby="left-intro">`, "\n")
		for _, p := range d.Left {
			open := p.LessonsTotal - p.LessonsDone
			f.raw(`<li><a href="`)
			f.url(p.Continue)
			f.raw(`">`)
			f.esc(p.Module.Title.In(lang))
			f.raw("</a>")
			f.esc(i18n.Colon(lang) + " ")
			switch {
			case open != 0 && p.HasCheck && !p.Passed:
				f.esc(i18n.N(lang, "learning.left.lessons_check", open))
			case open != 0:
				f.esc(i18n.N(lang, "learning.left.lessons", open))
			default:
				f.esc(i18n.T(lang, "learning.left.check"))
			}
			f.raw("</li>\n")
		}
		f.raw("<li>")
		f.esc(i18n.T(lang, "learning.left.programme"))
		f.raw("</li>\n</ol>\n")
	}
	f.raw("</section>\n</div>\n\n", `<section aria-labelledby="modules-heading">`, "\n", `<h2 id="modules-heading">`)
	f.esc(i18n.T(lang, "learning.modules.heading"))
	f.raw("</h2>\n", `<ul class="module-grid">`, "\n", string(moduleCards(lang, d.Modules)), "</ul>\n</section>\n")
	return f.html()
}

// lessonContent is the lesson page's content: breadcrumb, the lesson with its key points and the
// button that completes it, the pager, and the module's task list beside it.
func lessonContent(d *lessonData) template.HTML {
	lang, l, m := d.Lang, d.Lesson, d.Lesson.Module
	moduleTitle := m.Title.In(lang)
	var f frag
	lessonLink := func(id string) {
		f.raw(`<a href="/modules/`)
		f.urlPart(m.ID)
		f.raw(`/lessons/`)
		f.urlPart(id)
		f.raw(`"`)
	}
	moduleLink := func() {
		f.raw(`<a href="/modules/`)
		f.urlPart(m.ID)
		f.raw(`">`)
	}
	f.raw(`<nav aria-label="`)
	f.esc(i18n.T(lang, "learning.breadcrumb"))
	f.raw(`" class="breadcrumb">`, "\n<ol>\n", `<li><a href="/">`)
	f.esc(i18n.T(lang, "learning.dashboard.heading"))
	f.raw("</a></li>\n<li>")
	moduleLink()
	f.esc(moduleTitle)
	f.raw("</a></li>\n<li>")
	lessonLink(l.ID)
	f.raw(` aria-current="page">`)
	f.esc(l.Title.In(lang))
	f.raw("</a></li>\n</ol>\n</nav>\n", `<div class="lesson-layout">`, "\n", `<article class="lesson">`, "\n<header>\n", `<p class="lesson-position">`)
	f.esc(i18n.T(lang, "learning.lesson.position", "Number", l.Index+1, "Total", len(m.Lessons)))
	if d.Done {
		f.raw(` · <span class="done-mark"><span aria-hidden="true">✓</span> `)
		f.esc(i18n.T(lang, "learning.lesson.done"))
		f.raw(`</span>`)
	}
	f.raw("</p>\n<h1")
	otherLang := func() {
		if d.BodyLang != lang {
			f.raw(` lang="`)
			f.esc(string(d.BodyLang))
			f.raw(`"`)
		}
	}
	otherLang()
	f.raw(`>`)
	f.esc(l.Title[d.BodyLang])
	f.raw("</h1>\n")
	if d.BodyLang != lang {
		f.raw(`<p class="fallback-note">`)
		f.esc(i18n.T(lang, "library.fallback"))
		f.raw(` <span lang="`)
		f.esc(string(d.BodyLang))
		f.raw(`">`)
		f.esc(i18n.Name(d.BodyLang))
		f.raw(`</span></p>`)
	}
	f.raw("\n</header>\n", `<div class="lesson-body"`)
	otherLang()
	f.raw(">\n", string(d.Body), "\n</div>\n")
	if points := l.Summary[d.BodyLang]; len(points) > 0 {
		f.raw(`<section class="key-points" aria-labelledby="key-points-heading">`, "\n", `<h2 id="key-points-heading">`)
		f.esc(i18n.T(lang, "library.key_points"))
		f.raw("</h2>\n<ul")
		otherLang()
		f.raw(">\n")
		for _, p := range points {
			f.raw("<li>")
			f.esc(p)
			f.raw("</li>\n")
		}
		f.raw("</ul>\n</section>")
	}
	f.raw("\n<footer>\n", `<form method="post" action="/modules/`)
	f.urlPart(m.ID)
	f.raw(`/lessons/`)
	f.urlPart(l.ID)
	f.raw(`/complete">`, "\n")
	next := l.Next()
	if d.Done {
		f.raw(`<p class="done-mark" id="done-note">`)
		f.esc(i18n.T(lang, "learning.lesson.already_done"))
		f.raw("</p>\n", `<button type="submit" class="secondary" aria-describedby="done-note">`)
		if next != nil {
			f.esc(i18n.T(lang, "learning.lesson.next_done"))
		} else {
			f.esc(i18n.T(lang, "learning.lesson.back_done"))
		}
	} else {
		f.raw(`<button type="submit">`)
		if next != nil {
			f.esc(i18n.T(lang, "learning.lesson.complete_next"))
		} else {
			f.esc(i18n.T(lang, "learning.lesson.complete_last"))
		}
	}
	f.raw("</button>\n</form>\n</footer>\n</article>\n", `<nav aria-label="`)
	f.esc(i18n.T(lang, "learning.lesson.pager"))
	f.raw(`" class="pager">`, "\n<ul>\n")
	if prev := l.Prev(); prev != nil {
		f.raw("<li>")
		lessonLink(prev.ID)
		f.raw(` rel="prev">← `)
		f.esc(i18n.T(lang, "learning.lesson.prev"))
		f.esc(i18n.Colon(lang) + " ")
		f.esc(prev.Title.In(lang))
		f.raw("</a></li>")
	}
	f.raw("\n<li>")
	moduleLink()
	f.esc(i18n.T(lang, "learning.lesson.overview"))
	f.raw("</a></li>\n")
	if next != nil {
		f.raw("<li>")
		lessonLink(next.ID)
		f.raw(` rel="next">`)
		f.esc(i18n.T(lang, "learning.lesson.next"))
		f.esc(i18n.Colon(lang) + " ")
		f.esc(next.Title.In(lang))
		f.raw(" →</a></li>")
	}
	f.raw("\n</ul>\n</nav>\n", `<nav class="lesson-nav no-print" aria-labelledby="lesson-nav-heading">`, "\n", `<h2 id="lesson-nav-heading">`)
	f.esc(i18n.T(lang, "look.lesson.nav"))
	f.raw("</h2>\n", `<p class="lesson-nav-module">`)
	moduleLink()
	f.esc(moduleTitle)
	f.raw("</a></p>\n", string(lessonTasks(lang, d.P, l.ID)), "\n</nav>\n</div>\n")
	return f.html()
}
