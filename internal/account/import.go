package account

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// ImportColumns are the columns of a users import file, in order.
var ImportColumns = []string{"name", "email", "organisation", "role", "cohort"}

// ImportRow is one account to create from an import file.
type ImportRow struct {
	Line         int
	Name         string
	Email        string
	Organisation string
	Role         Role
	Cohort       string // cohort name; empty: none
}

// ImportError lists every problem of an import file as FILE:LINE: message, one per line.
type ImportError struct {
	File     string
	Problems []LineProblem
}

// LineProblem is one problem on one line of an import file.
type LineProblem struct {
	Line    int
	Message string
}

func (e *ImportError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d: %s", e.File, p.Line, p.Message)
	}
	return b.String()
}

func (e *ImportError) add(line int, format string, args ...any) {
	e.Problems = append(e.Problems, LineProblem{Line: line, Message: fmt.Sprintf(format, args...)})
}

// parseImport reads a users import file and checks each row on its own; the database is checked
// by ImportUsers. Problems are added to bad; rows holds the rows that can be checked further.
func parseImport(r io.Reader, bad *ImportError) ([]ImportRow, error) {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var rows []ImportRow
	seen := map[string]int{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// A broken quote leaves the rest of the file unreadable; report where it started.
				bad.add(pe.StartLine, "%v", pe.Err)
				break
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if first && len(rec) > 0 {
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
			if isImportHeader(rec) {
				continue
			}
		}
		if len(rec) != len(ImportColumns) && len(rec) != len(ImportColumns)-1 {
			bad.add(line, "want %d columns (%s), got %d", len(ImportColumns), strings.Join(ImportColumns, ";"), len(rec))
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		row := ImportRow{Line: line, Name: rec[0], Email: normalEmail(rec[1]), Organisation: rec[2], Role: Role(rec[3])}
		if len(rec) == len(ImportColumns) {
			row.Cohort = rec[4]
		}
		if row.Role == "" {
			row.Role = RoleLearner
		}
		for _, f := range []string{row.Name, row.Email, row.Organisation, row.Cohort} {
			if !utf8.ValidString(f) {
				bad.add(line, "not valid UTF-8 (save the file as UTF-8)")
				break
			}
		}
		if n := utf8.RuneCountInString(row.Name); n < 2 || n > MaxNameLen {
			bad.add(line, "name must have 2 to %d characters", MaxNameLen)
		}
		if !wellFormedEmail(row.Email) {
			bad.add(line, "%q is not a valid e-mail address", clipBytes(row.Email, 80))
		} else if prev, dup := seen[strings.ToLower(row.Email)]; dup {
			bad.add(line, "e-mail address %s already appears on line %d", row.Email, prev)
		} else {
			seen[strings.ToLower(row.Email)] = line
		}
		if utf8.RuneCountInString(row.Organisation) > MaxNameLen {
			bad.add(line, "organisation may have at most %d characters", MaxNameLen)
		}
		switch row.Role {
		case RoleLearner, RoleTrainer, RoleAdmin:
		default:
			bad.add(line, "role %q is not one of learner, trainer, admin (empty means learner)", clipBytes(string(row.Role), 40))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func isImportHeader(rec []string) bool {
	if len(rec) < 2 {
		return false
	}
	for i, col := range rec {
		if i >= len(ImportColumns) || !strings.EqualFold(strings.TrimSpace(col), ImportColumns[i]) {
			return false
		}
	}
	return true
}

// ImportUsers reads a users import file — semicolon-separated columns name;email;organisation;role;cohort,
// UTF-8 with or without BOM, CRLF or LF, an optional header row recognised by its column names —
// and creates an approved account for every row in one transaction, queueing each person's
// activation e-mail. A learner joins the named cohort, a trainer or admin leads it. Every problem
// of the file (format, duplicate or already registered addresses, unknown cohorts) is reported
// with its line as an *ImportError, and then nothing is created. file names the file in messages.
func (s *Service) ImportUsers(ctx context.Context, act audit.Actor, file string, r io.Reader) (int, error) {
	rows, err := s.importUsers(ctx, act, file, r, true)
	return len(rows), err
}

// PreviewImport checks an import file exactly as ImportUsers does, against the database as it is
// now, and returns the rows it would create — or the *ImportError with every problem by line —
// without changing anything. The browser's upload shows this before the admin applies the file.
func (s *Service) PreviewImport(ctx context.Context, file string, r io.Reader) ([]ImportRow, error) {
	return s.importUsers(ctx, audit.Actor{}, file, r, false)
}

// errPreview rolls a checked import back.
var errPreview = errors.New("preview only")

func (s *Service) importUsers(ctx context.Context, act audit.Actor, file string, r io.Reader, apply bool) ([]ImportRow, error) {
	bad := &ImportError{File: file}
	rows, err := parseImport(r, bad)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(rows) == 0 && len(bad.Problems) == 0 {
		return nil, errs.E(errs.Invalid, "%s: the file lists no accounts", file)
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		cohorts := map[string]bool{}
		for _, row := range rows {
			if !wellFormedEmail(row.Email) {
				continue
			}
			if _, err := userByEmail(ctx, tx, row.Email); err == nil {
				bad.add(row.Line, "e-mail address %s is already registered", row.Email)
			} else if !errs.Is(err, errs.NotFound) {
				return err
			}
			if row.Cohort == "" {
				continue
			}
			if _, ok := cohorts[row.Cohort]; ok {
				continue
			}
			var archived bool
			err := tx.QueryRowContext(ctx, `SELECT archived_at IS NOT NULL FROM cohorts WHERE name = ?`, row.Cohort).Scan(&archived)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				bad.add(row.Line, "cohort %q does not exist (create it first with: saferspaces cohort create --name ...)", row.Cohort)
			case err != nil:
				return err
			case archived:
				bad.add(row.Line, "cohort %q is archived; restore it first or name another cohort", row.Cohort)
			default:
				cohorts[row.Cohort] = true
			}
		}
		if len(bad.Problems) > 0 {
			slices.SortStableFunc(bad.Problems, func(a, b LineProblem) int { return a.Line - b.Line })
			return bad
		}
		if !apply {
			return errPreview
		}

		for _, row := range rows {
			in := NewAccount{Email: row.Email, Name: row.Name, Organisation: row.Organisation, Role: row.Role, Cohort: row.Cohort}
			if err := in.normalise(); err != nil {
				return fmt.Errorf("line %d: %w", row.Line, err)
			}
			// As with `user create`: a learner joins the cohort, a trainer or admin leads it.
			id, err := s.insertApproved(ctx, tx, in)
			if err != nil {
				return fmt.Errorf("line %d: %w", row.Line, err)
			}
			u, err := userByID(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := s.sendActivation(ctx, tx, u); err != nil {
				return fmt.Errorf("line %d: %w", row.Line, err)
			}
			detail := "role " + string(row.Role)
			if row.Cohort != "" {
				detail += "; cohort " + row.Cohort
			}
			if err := audit.Log(ctx, tx, now, act, "user.imported", id, row.Email, detail); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errPreview):
		return rows, nil
	case errors.As(err, new(*ImportError)):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("import %s: %w", file, err)
	}
	return rows, nil
}
