package account

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"saferspaces/internal/sqlite"
)

// Lists of people sort and search the way a German reader expects: names in German dictionary
// order ("Ülrich" before "Zoë", case and accents only breaking ties), searches that ignore case
// the Unicode way ("MÜLLER" finds "Müller"). The keys are stored with each user (sort_name,
// sort_org, search, org_fold), so that a report over 10,000 people sorts and filters in SQL.

// Fold is the case-folded form of s with runs of white space made one space: what searches and
// groupings compare.
func Fold(s string) string { return cases.Fold().String(strings.Join(strings.Fields(s), " ")) }

// NewCollator sorts in German dictionary order. A collator is not safe for concurrent use.
func NewCollator() *collate.Collator { return collate.New(language.German) }

func sortSource(name, org, email string) string { return name + "\x1f" + org + "\x1f" + email }

// EnsureSortKeys brings the sort and search keys of every user whose name, organisation or e-mail
// changed since they were made (a trigger marks them) or who is new up to date. It is cheap when
// nothing changed (an index lookup that finds nothing), so reports call it before they read;
// serve calls it at start-up. Whoever adds or renames people (registration, import, single
// sign-on) needs to do nothing else.
func (s *Service) EnsureSortKeys(ctx context.Context) error {
	type stale struct {
		id               int64
		name, org, email string
	}
	var todo []stale
	err := sqlite.Each(ctx, s.db.R, `SELECT id, name, organisation, email FROM users WHERE sort_src IS NULL`, nil,
		func(scan func(...any) error) error {
			var st stale
			err := scan(&st.id, &st.name, &st.org, &st.email)
			todo = append(todo, st)
			return err
		})
	if err != nil || len(todo) == 0 {
		return err
	}
	col := NewCollator()
	var buf collate.Buffer
	for start := 0; start < len(todo); start += 1000 {
		batch := todo[start:min(start+1000, len(todo))]
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `UPDATE users SET sort_name = ?, sort_org = ?, org_fold = ?, search = ?, sort_src = ?
				WHERE id = ? AND name = ? AND organisation = ? AND email = ?`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, st := range batch {
				buf.Reset()
				name := col.KeyFromString(&buf, st.name)
				org := col.KeyFromString(&buf, st.org)
				search := Fold(st.name + " " + st.email + " " + st.org)
				if _, err := stmt.ExecContext(ctx, name, org, Fold(st.org), search, sortSource(st.name, st.org, st.email),
					st.id, st.name, st.org, st.email); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sort keys: %w", err)
		}
	}
	return nil
}
