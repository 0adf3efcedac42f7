package web

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"saferspaces/internal/report"
)

// matrixView is how the trainer's matrix is shown: the column it is sorted by, the direction, and
// whether only the learners flagged inactive are listed. It lives in the URL (GET parameters), so
// a view can be bookmarked and shared, and nothing is stored.
type matrixView struct {
	Sort     string // "name", "last", "total" or "m.MODULE"
	Desc     bool
	Inactive bool           // only learners flagged inactive
	modules  map[string]int // module id → column
}

func parseMatrixView(q url.Values, rep *report.Report) matrixView {
	v := matrixView{Sort: q.Get("sort"), Desc: q.Get("dir") == "desc", Inactive: q.Get("inactive") == "1",
		modules: map[string]int{}}
	for i, m := range rep.Modules {
		v.modules[m.ID] = i
	}
	if _, ok := v.column(); !ok {
		v.Sort, v.Desc = "name", false
	}
	return v
}

// column is the module column sorted by (-1 for the other columns); ok is false for an unknown sort.
func (v matrixView) column() (int, bool) {
	switch v.Sort {
	case "name", "last", "total":
		return -1, true
	}
	id, ok := strings.CutPrefix(v.Sort, "m.")
	i, known := v.modules[id]
	return i, ok && known
}

// rows are the report's learners as the view shows them. Ties keep the report's order (by name).
func (v matrixView) rows(rep *report.Report) []report.Learner {
	var out []report.Learner
	for _, l := range rep.Learners {
		if !v.Inactive || l.Inactive {
			out = append(out, l)
		}
	}
	col, _ := v.column()
	by := func(a, b report.Learner) int {
		switch v.Sort {
		case "last":
			return a.LastActivity.Compare(b.LastActivity)
		case "total":
			return cmp.Or(cmp.Compare(a.Percent, b.Percent), cmp.Compare(a.ModulesDone, b.ModulesDone))
		case "name":
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}
		ca, cb := a.Cells[col], b.Cells[col]
		return cmp.Or(cmp.Compare(ca.Percent, cb.Percent), cmp.Compare(ca.BestScore, cb.BestScore), cmp.Compare(ca.Attempts, cb.Attempts))
	}
	slices.SortStableFunc(out, func(a, b report.Learner) int {
		if v.Desc {
			return by(b, a)
		}
		return by(a, b)
	})
	return out
}

// SortLink is the address that sorts by key: ascending, or the other way round if the matrix is
// sorted by key already. The inactive filter is kept.
func (v matrixView) SortLink(key string) string {
	q := url.Values{"sort": {key}}
	if key == v.Sort && !v.Desc {
		q.Set("dir", "desc")
	}
	if v.Inactive {
		q.Set("inactive", "1")
	}
	return "?" + q.Encode() + "#matrix-heading"
}

// AriaSort is the aria-sort value of the column key: "ascending", "descending" or "" (unsorted).
func (v matrixView) AriaSort(key string) string {
	switch {
	case key != v.Sort:
		return ""
	case v.Desc:
		return "descending"
	}
	return "ascending"
}

// ModuleKey is the sort key of a module column.
func (v matrixView) ModuleKey(id string) string { return "m." + id }

// Dir is the direction as a URL parameter, for the filter form.
func (v matrixView) Dir() string {
	if v.Desc {
		return "desc"
	}
	return "asc"
}
