package report

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"saferspaces/internal/account"
	"saferspaces/internal/content"
	"saferspaces/internal/learning"
)

// row is one member with their progress summary: everything the cohort page sorts, filters and
// sums, and little enough to hold for 10,000 members.
type row struct {
	m        account.Member
	sum      learning.Summary
	last     time.Time // latest activity including sign-ins
	inactive bool
	overdue  bool
	key      []byte // collation key of the name, filled when sorting
	orgKey   []byte // collation key of the organisation, filled when sorting by it
	mod      [3]int // the sorted module's percentage, best score and attempts, when sorting by one
}

// rows reads the cohort's members and their summaries (one query each, whatever the size). With
// sinceStart and a start date, progress counts only what was done since the start, and a sort by
// a module's column needs that module's figures — neither is in a summary, so then it is computed
// from the records, in batches.
func (s *Service) rows(ctx context.Context, c account.Cohort, sinceStart bool, module ...string) ([]row, error) {
	var out []row
	err := s.acc.EachMember(ctx, c.ID, func(m account.Member) error {
		out = append(out, row{m: m})
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].m.ID
	}
	from := since(c, sinceStart)
	sorted := -1
	if len(module) > 0 {
		sorted = slices.IndexFunc(s.cat.Modules, func(m *content.Module) bool { return SortModule(m.ID) == module[0] })
	}
	if from.IsZero() && sorted < 0 {
		sums, err := s.learn.Summaries(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].sum = sums[out[i].m.ID]
		}
	} else {
		for start := 0; start < len(out); start += exportBatch {
			batch := ids[start:min(start+exportBatch, len(ids))]
			ovs, err := s.learn.OverviewsSince(ctx, batch, from)
			if err != nil {
				return nil, err
			}
			for i := start; i < start+len(batch); i++ {
				ov := ovs[out[i].m.ID]
				sum := learning.Summary{UserID: out[i].m.ID, UnitsDone: ov.Programme.UnitsDone, UnitsTotal: ov.Programme.UnitsTotal,
					Percent: ov.Programme.Percent, ModulesDone: ov.Programme.ModulesDone, Complete: ov.Programme.Complete,
					LastActivity: ov.LastActivity}
				for _, p := range ov.Modules {
					sum.Attempts += p.Attempts
				}
				out[i].sum = sum
				if sorted >= 0 && sorted < len(ov.Modules) {
					p := ov.Modules[sorted]
					out[i].mod = [3]int{p.Percent, p.BestScore, p.Attempts}
				}
			}
		}
	}
	now := s.now().UTC()
	for i := range out {
		r := &out[i]
		r.last = later(r.sum.LastActivity, r.m.LastLoginAt)
		// Someone who has finished has nothing left to be reminded of; a new member is measured
		// from the day they joined, not flagged for the time before.
		r.inactive = !r.m.Disabled && !r.sum.Complete && now.Sub(later(r.last, r.m.JoinedAt)) >= InactiveAfter
		r.overdue = !r.m.Disabled && !r.sum.Complete && !c.DueAt.IsZero() && now.After(c.DueAt)
	}
	return out, nil
}

// sums are a cohort's figures over every member.
type sums struct{ avg, inactive, overdue, completed int }

func figures(rows []row) sums {
	var f sums
	total := 0
	for _, r := range rows {
		total += r.sum.Percent
		if r.inactive {
			f.inactive++
		}
		if r.overdue {
			f.overdue++
		}
		if r.sum.Complete {
			f.completed++
		}
	}
	if len(rows) > 0 {
		f.avg = total / len(rows)
	}
	return f
}

// Sort orders of the matrix (the URL's sort parameter); Query.Desc reverses one. A module's
// column sorts by SortModule(id): its percentage, then best score, then attempts.
const (
	SortName     = "name"
	SortOrg      = "organisation"
	SortPercent  = "total"
	SortActivity = "last"
)

// SortModule is the sort key of a module's column.
func SortModule(id string) string { return "m." + id }

// Filters of the matrix.
const (
	FilterAll      = ""
	FilterInactive = "inactive" // inactive or overdue: who a reminder would reach
	FilterOpen     = "open"     // not complete
	FilterDone     = "complete"
)

// PerPage is the default page size of the matrix; MaxPerPage bounds what a URL may ask for.
const (
	PerPage    = 50
	MaxPerPage = 200
)

// Query is how the cohort page (and its exports) sort, filter and page the members. It arrives
// as the page's URL query (sort, dir, q, filter, page, since), so the matrix template only builds
// links.
type Query struct {
	Sort       string // SortName (default), SortOrg, SortPercent, SortActivity
	Desc       bool
	Search     string // part of name, e-mail or organisation, found the way a German reader expects
	Filter     string
	Page       int
	PerPage    int
	SinceStart bool // count only what was done since the cohort's start date
}

// normal checks the query against its rules and the content's modules; what is unknown becomes
// the default.
func (q Query) normal(mods []*content.Module) Query {
	switch q.Sort {
	case SortName, SortOrg, SortPercent, SortActivity:
	default:
		if !slices.ContainsFunc(mods, func(m *content.Module) bool { return SortModule(m.ID) == q.Sort }) {
			q.Sort = SortName
		}
	}
	switch q.Filter {
	case FilterAll, FilterInactive, FilterOpen, FilterDone:
	default:
		q.Filter = FilterAll
	}
	q.Search = strings.TrimSpace(q.Search)
	if len(q.Search) > 200 {
		q.Search = q.Search[:200]
	}
	if q.PerPage <= 0 || q.PerPage > MaxPerPage {
		q.PerPage = PerPage
	}
	q.Page = max(q.Page, 1)
	return q
}

// folder folds case the Unicode way ("MÜLLER" and "Müller" and "müller" are one), for searching.
var folder = cases.Fold()

// fold returns s case-folded; Fold is stateless, so one Caser serves every goroutine.
func fold(s string) string { return folder.String(s) }

// Matches reports whether a search term finds a name, e-mail address or organisation, ignoring
// case the Unicode way.
func Matches(term string, fields ...string) bool {
	t := fold(strings.TrimSpace(term))
	if t == "" {
		return true
	}
	for _, f := range fields {
		if strings.Contains(fold(f), t) {
			return true
		}
	}
	return false
}

// NewCollator sorts names the way a German reader expects: umlauts with their base letters
// ("Ülrich" before "Zoë"), case and accents only breaking ties. A collator is not safe for
// concurrent use: make one per report.
func NewCollator() *collate.Collator { return collate.New(language.German) }

// SortNames sorts names in German dictionary order.
func SortNames(names []string) { NewCollator().SortStrings(names) }

// apply filters and sorts the rows as the query says; ties are broken by name, then id.
func (q Query) apply(rows []row) []row {
	out := rows[:0:0]
	term := fold(q.Search)
	for _, r := range rows {
		if !q.keep(r, term) {
			continue
		}
		out = append(out, r)
	}
	// Keys are made once per row, so a sort of 10,000 names costs 10,000 keys, not a collation
	// per comparison. They pile up in one buffer (never reset, so no key is overwritten).
	col := NewCollator()
	var buf collate.Buffer
	for i := range out {
		out[i].key = col.KeyFromString(&buf, out[i].m.Name)
		if q.Sort == SortOrg {
			out[i].orgKey = col.KeyFromString(&buf, out[i].m.Organisation)
		}
	}
	slices.SortFunc(out, func(a, b row) int {
		c := 0
		switch q.Sort {
		case SortOrg:
			c = bytes.Compare(a.orgKey, b.orgKey)
		case SortPercent:
			c = cmp.Or(cmp.Compare(a.sum.Percent, b.sum.Percent), cmp.Compare(a.sum.ModulesDone, b.sum.ModulesDone))
		case SortActivity:
			c = a.last.Compare(b.last)
		case SortName:
		default: // a module's column
			c = cmp.Or(cmp.Compare(a.mod[0], b.mod[0]), cmp.Compare(a.mod[1], b.mod[1]), cmp.Compare(a.mod[2], b.mod[2]))
		}
		if c == 0 && q.Sort != SortName {
			c = bytes.Compare(a.key, b.key)
		} else if q.Sort == SortName {
			c = bytes.Compare(a.key, b.key)
		}
		if q.Desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.m.ID, b.m.ID)
		}
		return c
	})
	return out
}

func (q Query) keep(r row, term string) bool {
	switch q.Filter {
	case FilterInactive:
		if !r.inactive && !r.overdue {
			return false
		}
	case FilterOpen:
		if r.sum.Complete {
			return false
		}
	case FilterDone:
		if !r.sum.Complete {
			return false
		}
	}
	return term == "" || strings.Contains(fold(r.m.Name), term) || strings.Contains(fold(r.m.Email), term) ||
		strings.Contains(fold(r.m.Organisation), term)
}

// moduleSort reports whether the query sorts by a module's column, which the summaries cannot do.
func (q Query) moduleSort() bool { return strings.HasPrefix(q.Sort, "m.") }
