package web

import (
	"net/url"
	"strconv"

	"saferspaces/internal/report"
)

// matrixView is how the trainer's matrix is shown: the column it is sorted by, the direction, the
// filter and search, the page, and whether it counts from the cycle's start. It lives in the URL
// (GET parameters), so a view can be bookmarked and shared and the downloads follow it; package
// report sorts, filters and pages (report.Query), this only reads and writes the parameters:
//
//	sort=name|last|total|m.MODULE  dir=asc|desc  inactive=1  filter=open|complete  q=TEXT  page=N  since=start
type matrixView struct {
	Sort     string // "name", "last", "total" or "m.MODULE"
	Desc     bool
	Inactive bool // only learners flagged inactive (or overdue)
	q        report.Query
}

// cohortQuery reads the view from a URL's query. Unknown values fall back to the defaults (a URL
// may have been edited); report.Query checks them once more.
func cohortQuery(v url.Values) report.Query {
	page, _ := strconv.Atoi(v.Get("page"))
	q := report.Query{Sort: v.Get("sort"), Desc: v.Get("dir") == "desc", Search: firstRunes(v.Get("q"), 200),
		Filter: v.Get("filter"), Page: page, SinceStart: v.Get("since") == "start"}
	if v.Get("inactive") == "1" {
		q.Filter = report.FilterInactive
	}
	return q
}

// newMatrixView is the view the report was made for (its query, checked and with the page it got).
func newMatrixView(rep *report.Report) matrixView {
	q := rep.Query
	return matrixView{Sort: q.Sort, Desc: q.Desc, Inactive: q.Filter == report.FilterInactive, q: q}
}

// query is the view's URL query ("" for the default view) with another sort and page (0: none).
func (v matrixView) query(sort string, desc bool, page int) string {
	return v.queryWith(sort, desc, page, false)
}

// queryWith is query; withSort names the sort even where it is the default.
func (v matrixView) queryWith(sort string, desc bool, page int, withSort bool) string {
	vals := url.Values{}
	if withSort || sort != report.SortName || desc {
		vals.Set("sort", sort)
	}
	if desc {
		vals.Set("dir", "desc")
	}
	switch v.q.Filter {
	case report.FilterInactive:
		vals.Set("inactive", "1")
	case "":
	default:
		vals.Set("filter", v.q.Filter)
	}
	if v.q.Search != "" {
		vals.Set("q", v.q.Search)
	}
	if v.q.SinceStart {
		vals.Set("since", "start")
	}
	if page > 1 {
		vals.Set("page", strconv.Itoa(page))
	}
	if len(vals) == 0 {
		return ""
	}
	return "?" + vals.Encode()
}

// SortLink is the address that sorts by key: ascending, or the other way round if the matrix is
// sorted by key ascending already. Filter and search are kept; the page goes back to the first.
func (v matrixView) SortLink(key string) string {
	desc := key == v.Sort && !v.Desc
	return v.queryWith(key, desc, 0, true) + "#matrix-heading"
}

// PageLink is the address of another page of the same view.
func (v matrixView) PageLink(page int) string {
	q := v.query(v.Sort, v.Desc, page)
	if q == "" {
		q = "?page=1"
	}
	return q + "#matrix-heading"
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
func (v matrixView) ModuleKey(id string) string { return report.SortModule(id) }

// Dir is the direction as a URL parameter, for the filter form.
func (v matrixView) Dir() string {
	if v.Desc {
		return "desc"
	}
	return "asc"
}

// Search, Filter and SinceStart are the form's current values.
func (v matrixView) Search() string   { return v.q.Search }
func (v matrixView) Filter() string   { return v.q.Filter }
func (v matrixView) SinceStart() bool { return v.q.SinceStart }
