package report

import (
	"context"
	"fmt"
	"mime"
	"strings"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
)

// exportBatch is how many learners' records an export reads at once: memory stays flat whatever
// the size of the cohort.
var exportBatch = 500

// Export is a cohort's matrix for a file: every member that passes the query's filter, in the
// query's order (not only the page shown). Its rows are built batch by batch while writing.
type Export struct {
	Cohort  account.Cohort
	At      time.Time
	Modules []*content.Module
	Query   Query
	s       *Service
	rows    []row // counted from the cycle's start only: the sorted rows; else streamed from SQL
}

// Export prepares the export of one cohort for the viewer; errs.NotFound as Report.
func (s *Service) Export(ctx context.Context, cohortID, viewerID int64, viewerRole account.Role, q Query) (*Export, error) {
	c, err := s.acc.LedCohort(ctx, cohortID, viewerID, viewerRole)
	if err != nil {
		return nil, err
	}
	q = q.normal(s.cat.Modules)
	q.SinceStart = q.SinceStart && !c.StartsAt.IsZero()
	if err := s.acc.EnsureSortKeys(ctx); err != nil {
		return nil, err
	}
	e := &Export{Cohort: *c, At: s.now().UTC(), Modules: s.cat.Modules, Query: q, s: s}
	if q.SinceStart {
		rows, err := s.rows(ctx, *c, q.SinceStart, q.Sort)
		if err != nil {
			return nil, fmt.Errorf("export cohort %d: %w", cohortID, err)
		}
		e.rows = q.apply(rows)
	}
	return e, nil
}

// Each calls fn with every learner of the export, in order, reading their records in batches of
// exportBatch. The members' rows (a few hundred bytes each) are read first, in one query that is
// closed before any record is read: a cursor held open while each batch asks the read pool for
// another connection would let a handful of simultaneous downloads wait on each other forever.
func (e *Export) Each(ctx context.Context, fn func(Learner) error) error {
	emit := func(batch []row) error {
		ls, err := e.s.learners(ctx, e.Cohort, batch, e.Query.SinceStart)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if err := fn(l); err != nil {
				return err
			}
		}
		return nil
	}
	if e.rows != nil || e.Query.SinceStart {
		for start := 0; start < len(e.rows); start += exportBatch {
			if err := emit(e.rows[start:min(start+exportBatch, len(e.rows))]); err != nil {
				return err
			}
		}
		return nil
	}
	var rows []row
	err := e.s.sqlRows(ctx, e.Cohort, e.Query, e.At, -1, 0, func(r row) error {
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return err
	}
	for start := 0; start < len(rows); start += exportBatch {
		if err := emit(rows[start:min(start+exportBatch, len(rows))]); err != nil {
			return err
		}
	}
	return nil
}

// statusText is a learner's status in the reader's language.
func statusText(lang i18n.Lang, l Learner) string { return i18n.T(lang, "trainer.status."+l.Status()) }

// yesNo is a flag in the reader's language.
func yesNo(lang i18n.Lang, b bool) string {
	if b {
		return i18n.T(lang, "trainer.csv.yes")
	}
	return i18n.T(lang, "trainer.csv.no")
}

// FileName is the download name of a cohort's export: "saferspaces-" + the cohort's name with its
// letters kept (umlauts and accents too) and everything else made a dash + the date + ext, e.g.
// "saferspaces-stadt-münster-2026-2026-03-20.xlsx". ASCIIFileName is its plain-ASCII fallback for
// clients that do not read RFC 5987 (umlauts spelled out, other accents dropped).
func FileName(cohortName string, at time.Time, ext string) string {
	return name(cohortName, at, ext, false)
}

// ASCIIFileName is FileName in ASCII letters only.
func ASCIIFileName(cohortName string, at time.Time, ext string) string {
	return name(cohortName, at, ext, true)
}

var spelled = map[rune]string{'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'à': "a", 'á': "a", 'â': "a", 'è': "e",
	'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ò': "o", 'ó': "o", 'ô': "o", 'ù': "u",
	'ú': "u", 'û': "u", 'ç': "c", 'ñ': "n", 'œ': "oe", 'æ': "ae"}

func name(cohortName string, at time.Time, ext string, ascii bool) string {
	var b strings.Builder
	dash := false
	n := 0
	for _, r := range strings.ToLower(cohortName) {
		var s string
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			s = string(r)
		case spelled[r] != "":
			s = spelled[r]
			if !ascii {
				s = string(r)
			}
		default:
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(s)
		if n++; n >= 60 {
			break
		}
	}
	out := "saferspaces"
	if b.Len() > 0 {
		out += "-" + b.String()
	}
	return out + "-" + at.UTC().Format("2006-01-02") + "." + ext
}

// ContentDisposition is the header value that downloads the export under its name: an ASCII
// filename for old clients and filename* (RFC 5987, UTF-8) that keeps the accented letters.
func ContentDisposition(cohortName string, at time.Time, ext string) string {
	ascii := ASCIIFileName(cohortName, at, ext)
	utf := FileName(cohortName, at, ext)
	v := mime.FormatMediaType("attachment", map[string]string{"filename": ascii})
	if utf != ascii {
		// mime.FormatMediaType writes filename* by itself for non-ASCII values, but then drops the
		// plain filename; both are sent.
		v += "; " + strings.TrimPrefix(mime.FormatMediaType("attachment", map[string]string{"filename": utf}), "attachment; ")
	}
	return v
}
