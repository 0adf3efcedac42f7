package web

import (
	"bytes"
	"math"
	"mime"
	"net/http"
	"strconv"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/report"
)

type trainerData struct {
	Base
	Cohorts []report.Summary
	IsAdmin bool
}

// trainerHome lists the cohorts the trainer leads (an admin: all cohorts).
func (s *Server) trainerHome(w http.ResponseWriter, r *http.Request) {
	u := state(r).user
	list, err := s.Reports.Led(r.Context(), u.ID, u.Role)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "trainer", &trainerData{Base: s.base(r, "trainer.title"), Cohorts: list,
		IsAdmin: u.Role == account.RoleAdmin})
}

type trainerCohortData struct {
	Base
	Report       *report.Report
	Rows         []report.Learner // the matrix's rows: filtered and sorted as asked
	View         matrixView
	Chart        chart
	InactiveDays int
}

// trainerCohort shows the learner × module matrix and the completions chart of one cohort. The
// matrix can be sorted by any column (?sort=name|last|total|m.MODULE, &dir=asc|desc) and narrowed
// to the learners flagged inactive (?inactive=1); see matrix.go.
func (s *Server) trainerCohort(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cohortReport(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := s.base(r, "")
	b.Title = rep.Name
	v := parseMatrixView(r.URL.Query(), rep)
	s.page(w, r, http.StatusOK, "trainer_cohort", &trainerCohortData{Base: b, Report: rep, Rows: v.rows(rep), View: v,
		Chart: newChart(rep.Timeline, b.Lang), InactiveDays: int(report.InactiveAfter.Hours() / 24)})
}

// trainerCohortCSV downloads the matrix for spreadsheets, with the header in the viewer's language.
func (s *Server) trainerCohortCSV(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cohortReport(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, rep, state(r).lang, s.loc); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": report.FileName(rep.Name, rep.At)}))
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// cohortReport reads the cohort named in the path for the signed-in viewer. An id that is not a
// number is the same 404 as a cohort that does not exist or that the viewer does not lead.
func (s *Server) cohortReport(r *http.Request) (*report.Report, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, errs.E(errs.NotFound, "cohort not found")
	}
	u := state(r).user
	return s.Reports.Report(r.Context(), id, u.ID, u.Role)
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
