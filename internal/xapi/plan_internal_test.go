package xapi

import (
	"context"
	"strings"
	"testing"

	"saferspaces/internal/testkit"
)

// Erasure runs unvoided in its write transaction: every table it reads must be searched by an
// index, not scanned — a scan of the statements per statement of the learner held the write lock
// for minutes on a platform with a million statements.
func TestUnvoidedSearchesIndexes(t *testing.T) {
	db := testkit.OpenDB(t)
	rows, err := db.R.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+unvoided, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, step := range plan {
		if strings.HasPrefix(step, "SCAN") {
			t.Errorf("the query scans a table:\n%s", strings.Join(plan, "\n"))
			break
		}
	}
}
