package web

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/paths"
	"saferspaces/internal/remind"
	"saferspaces/internal/report"
)

type trainerData struct {
	Base
	Cohorts      []report.Summary
	IsAdmin      bool
	Archived     bool // archived cohorts are listed too
	Applicants   int  // registrations the trainer may approve
	InactiveDays int
	Former       []learning.ArchivedModule // anonymous totals of former learners (anonymised accounts)
}

// trainerHome lists the cohorts the trainer leads (an admin: all cohorts), archived ones with
// ?archived=1.
func (s *Server) trainerHome(w http.ResponseWriter, r *http.Request) {
	u := state(r).user
	archived := r.URL.Query().Get("archived") == "1"
	list, err := s.Reports.Led(r.Context(), u.ID, u.Role, archived)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	apps, err := s.acc.ApplicantsForTrainer(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Former learners whose accounts were anonymised count only as these totals (issue 8).
	former, err := s.learn.Archived(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := s.base(r, "trainer.title")
	b.Notice = s.takeNotice(w, r)
	s.page(w, r, http.StatusOK, "trainer", &trainerData{Base: b, Cohorts: list, IsAdmin: u.Role == account.RoleAdmin,
		Archived: archived, Applicants: len(apps), InactiveDays: int(report.InactiveAfter.Hours() / 24), Former: former})
}

type trainerCohortData struct {
	Base
	Report       *report.Report
	Rows         []report.Learner // the page of the matrix, in the view's order
	View         matrixView
	Chart        chart
	InactiveDays int
	Filters      []string
	Sorts        []string
	Error        string
	Message      string // the message typed, kept when it was refused
	MessageError string
	MaxMessage   int
	texts        map[string]string // the matrix's repeated texts, translated once per page
	pcts         map[int]string
}

// text translates a catalog text of the matrix once per page: a page of 50 learners × 9 modules
// repeats a handful of texts hundreds of times, and each translation runs a template.
func (d *trainerCohortData) text(key string, kv ...any) string {
	memo := fmt.Sprint(key, kv)
	if s, ok := d.texts[memo]; ok {
		return s
	}
	if d.texts == nil {
		d.texts = map[string]string{}
	}
	s := i18n.T(d.Lang, key, kv...)
	d.texts[memo] = s
	return s
}

// Pct is a percentage in the reader's language.
func (d *trainerCohortData) Pct(n int) string {
	s, ok := d.pcts[n]
	if !ok {
		if d.pcts == nil {
			d.pcts = map[int]string{}
		}
		s = i18n.Percent(d.Lang, n)
		d.pcts[n] = s
	}
	return s
}

// Modules is "N of M modules".
func (d *trainerCohortData) Modules(done int) string {
	return d.plural("trainer.cell.modules", len(d.Report.Modules), "Done", done)
}

// Attempts is "N attempts".
func (d *trainerCohortData) Attempts(n int) string { return d.plural("trainer.cell.attempts", n) }

// Text is a catalog text of the matrix without parameters.
func (d *trainerCohortData) Text(key string) string { return d.text(key) }

// plural is text with a plural form for count.
func (d *trainerCohortData) plural(key string, count int, kv ...any) string {
	memo := fmt.Sprint("#", key, count, kv)
	if s, ok := d.texts[memo]; ok {
		return s
	}
	if d.texts == nil {
		d.texts = map[string]string{}
	}
	s := i18n.N(d.Lang, key, count, kv...)
	d.texts[memo] = s
	return s
}

// Status is a learner's status in words.
func (d *trainerCohortData) Status(l report.Learner) string {
	return d.text("trainer.status." + l.Status())
}

// LearnerLink is a learner's detail page.
func (d *trainerCohortData) LearnerLink(user int64) string {
	return paths.CohortLearner(d.Report.ID, user)
}

// FileLink is an export of the same view (every page of it).
func (d *trainerCohortData) FileLink(file string) string {
	return paths.CohortFile(d.Report.ID, file) + d.View.query(d.View.q.Sort, d.View.q.Desc, 0)
}

// trainerCohort shows one page of the learner × module matrix, the cohort's figures and the
// completions chart.
func (s *Server) trainerCohort(w http.ResponseWriter, r *http.Request) {
	s.cohortPage(w, r, http.StatusOK, "", "", "")
}

func (s *Server) cohortPage(w http.ResponseWriter, r *http.Request, status int, errMsg, message, messageErr string) {
	id, ok := cohortID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	u := state(r).user
	rep, err := s.Reports.Report(r.Context(), id, u.ID, u.Role, cohortQuery(r.URL.Query()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := s.base(r, "")
	b.Title = rep.Name
	b.Notice = s.takeNotice(w, r)
	s.page(w, r, status, "trainer_cohort", &trainerCohortData{Base: b, Report: rep, Rows: rep.Learners, View: newMatrixView(rep),
		Chart: newChart(rep.Timeline, b.Lang), InactiveDays: int(report.InactiveAfter.Hours() / 24),
		Filters: []string{report.FilterAll, report.FilterInactive, report.FilterOpen, report.FilterDone},
		Sorts:   []string{report.SortName, report.SortOrg, report.SortPercent, report.SortActivity},
		Error:   errMsg, Message: message, MessageError: messageErr, MaxMessage: remind.MaxMessageLen})
}

// trainerCohortCSV downloads the matrix (every page of the current view) for spreadsheets, with
// the header in the viewer's language. The file is streamed as it is written.
func (s *Server) trainerCohortCSV(w http.ResponseWriter, r *http.Request) {
	s.cohortFile(w, r, "csv", "text/csv; charset=utf-8", report.WriteCSV)
}

// trainerCohortXLSX downloads the matrix as an Excel workbook.
func (s *Server) trainerCohortXLSX(w http.ResponseWriter, r *http.Request) {
	s.cohortFile(w, r, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", report.WriteXLSX)
}

type writeFunc func(ctx context.Context, w io.Writer, e *report.Export, lang i18n.Lang, loc *time.Location) error

func (s *Server) cohortFile(w http.ResponseWriter, r *http.Request, ext, ctype string, write writeFunc) {
	id, ok := cohortID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	u := state(r).user
	exp, err := s.Reports.Export(r.Context(), id, u.ID, u.Role, cohortQuery(r.URL.Query()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", report.ContentDisposition(exp.Cohort.Name, exp.At, ext))
	h.Set("Cache-Control", "no-store")
	// The file streams: once the first bytes are out, an error can only cut it short (and is logged).
	if err := write(r.Context(), w, exp, state(r).lang, s.loc); err != nil {
		s.log.Error("cohort export", "cohort", id, "format", ext, "err", err)
	}
}

// cohortID reads the {id} of a trainer URL. An id that is not a number is the same 404 as a
// cohort that does not exist or that the viewer does not lead.
func cohortID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// chart is the completions timeline laid out as an SVG bar chart, drawn by the template without
// any script (the CSP allows none). Coordinates are in the viewBox.
type chart struct {
	Width, Height    int
	Left, Top        float64 // the plot area's top-left corner
	Right, Bottom    float64 // its bottom-right corner
	Bars             []chartBar
	YTicks           []chartTick
	FirstLabel, Last string
	Unit             string // day, week or month
	Total            int
}

type chartBar struct {
	X, Y, W, H float64
	TextX      float64 // centre, for the axis label
	Count      int
	Label      string // full period name, for the bar's tooltip
	Axis       string // short label under the bar; empty for bars between labels
}

type chartTick struct {
	Y     float64
	Value int
}

func newChart(t report.Timeline, lang i18n.Lang) chart {
	c := chart{Width: 720, Height: 240, Left: 40, Top: 12, Right: 712, Bottom: 200,
		Unit: t.Unit, Total: t.Total}
	n := len(t.Buckets)
	if n == 0 {
		return c
	}
	c.FirstLabel, c.Last = t.Buckets[0].Label(lang), t.Buckets[n-1].Label(lang)
	top := max(t.Max, 1)
	plotH, slot := c.Bottom-c.Top, (c.Right-c.Left)/float64(n)
	every := (n + 7) / 8 // at most eight axis labels, so they never overlap
	for i, b := range t.Buckets {
		h := plotH * float64(b.Count) / float64(top)
		bar := chartBar{
			W: round1(slot * 0.7), X: round1(c.Left + slot*float64(i) + slot*0.15),
			Y: round1(c.Bottom - h), H: round1(h), TextX: round1(c.Left + slot*(float64(i)+0.5)),
			Count: b.Count, Label: b.Label(lang),
		}
		if i%every == 0 {
			bar.Axis = b.Short(lang)
		}
		c.Bars = append(c.Bars, bar)
	}
	c.YTicks = []chartTick{{Y: c.Bottom, Value: 0}}
	if top >= 4 {
		c.YTicks = append(c.YTicks, chartTick{Y: round1(c.Bottom - plotH*float64(top/2)/float64(top)), Value: top / 2})
	}
	c.YTicks = append(c.YTicks, chartTick{Y: c.Top, Value: top})
	return c
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
