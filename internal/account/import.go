package account

import (
	"bufio"
	"bytes"
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
	"saferspaces/internal/i18n"
	mailer "saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
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

// MaxShownProblems bounds the problems an import reports one by one: a file that is wrong
// throughout (the wrong export, say) says so in its first lines, and the rest is only counted.
const MaxShownProblems = 100

// Shown returns the problems to list, at most MaxShownProblems, and how many more there are.
func (e *ImportError) Shown() ([]LineProblem, int) {
	if len(e.Problems) <= MaxShownProblems {
		return e.Problems, 0
	}
	return e.Problems[:MaxShownProblems], len(e.Problems) - MaxShownProblems
}

func (e *ImportError) Error() string {
	var b strings.Builder
	shown, more := e.Shown()
	for i, p := range shown {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d: %s", e.File, p.Line, p.Message)
	}
	if more > 0 {
		fmt.Fprintf(&b, "\n%s: and %d more problem(s)", e.File, more)
	}
	return b.String()
}

func (e *ImportError) add(line int, format string, args ...any) {
	e.Problems = append(e.Problems, LineProblem{Line: line, Message: fmt.Sprintf(format, args...)})
}

// Problems of an import file as a whole, said once instead of on every line: a spreadsheet's
// other CSV flavours give one column per line, which would otherwise be reported line by line.
var (
	ErrImportComma = errs.E(errs.Invalid, "the file separates columns with ',' — saferspaces expects ';' (save it as 'CSV (semicolon separated)' or replace the separator)")
	ErrImportUTF16 = errs.E(errs.Invalid, "the file is UTF-16 — save it as UTF-8 (CSV UTF-8)")
)

// IsUTF16 reports whether a file that starts with head is UTF-16: it has a UTF-16 byte order
// mark, or NUL bytes, which no text in UTF-8 has (UTF-16 without a mark has one in every ASCII
// character).
func IsUTF16(head []byte) bool {
	return bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) || bytes.IndexByte(head, 0) >= 0
}

// commaSeparated reports whether the first line of head separates its columns with commas: it
// has no ';' but enough ',' for the import's columns.
func commaSeparated(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\uFEFF"))
	for line := range bytes.Lines(head) {
		if line = bytes.TrimSpace(line); len(line) == 0 {
			continue
		}
		return bytes.IndexByte(line, ';') < 0 && bytes.Count(line, []byte(",")) >= len(ImportColumns)-2
	}
	return false
}

// parseImport reads a users import file and checks each row on its own; the database is checked
// by ImportUsers. Problems are added to bad; rows holds the rows that can be checked further.
func parseImport(r io.Reader, bad *ImportError) ([]ImportRow, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	switch {
	case IsUTF16(head):
		return nil, ErrImportUTF16
	case commaSeparated(head):
		return nil, ErrImportComma
	}
	cr := csv.NewReader(br)
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
		reported := map[string]bool{} // fields with a problem already said, so the rules below do not repeat it
		if n := utf8.RuneCountInString(row.Name); n < 2 || n > MaxNameLen {
			bad.add(line, "name must have 2 to %d characters", MaxNameLen)
			reported["name"] = true
		}
		if !wellFormedEmail(row.Email) {
			bad.add(line, "%q is not a valid e-mail address", clipBytes(row.Email, 80))
			reported["email"] = true
		} else if prev, dup := seen[strings.ToLower(row.Email)]; dup {
			bad.add(line, "e-mail address %s already appears on line %d", row.Email, prev)
		} else {
			seen[strings.ToLower(row.Email)] = line
		}
		if utf8.RuneCountInString(row.Organisation) > MaxNameLen {
			bad.add(line, "organisation may have at most %d characters", MaxNameLen)
			reported["organisation"] = true
		}
		switch row.Role {
		case RoleLearner, RoleTrainer, RoleAdmin:
		default:
			bad.add(line, "role %q is not one of learner, trainer, admin (empty means learner)", clipBytes(string(row.Role), 40))
			reported["role"] = true
		}
		// The account's own rules (one line, no control characters …) on every row, so one run
		// reports every row's problems instead of stopping at the first bad row.
		in := NewAccount{Email: row.Email, Name: row.Name, Organisation: row.Organisation, Role: row.Role, Cohort: row.Cohort}
		for _, f := range errs.FieldsOf(in.normalise()) {
			if !reported[f.Name] {
				bad.add(line, "%s: %s", f.Name, f.Message)
				reported[f.Name] = true
			}
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
//
// The work is staged before the write transaction: the file is checked against the database on
// the read pool, and every account's token and e-mail are made in memory. The transaction then
// only re-checks the addresses and cohorts (another writer may have come first) and inserts with
// prepared statements, so even 25,000 rows hold the platform's single write lock for a short
// moment and learners' writes meanwhile wait well within the busy timeout. progress, if not nil,
// is told how many rows are staged, then how many are written.
func (s *Service) ImportUsers(ctx context.Context, act audit.Actor, file string, r io.Reader, progress func(stage string, done, total int)) (int, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	rows, staged, bad, err := s.checkImport(ctx, file, r, progress)
	if err != nil {
		return 0, err
	}
	if err := s.applyImport(ctx, act, staged, bad, progress); err != nil {
		if errors.As(err, new(*ImportError)) {
			return 0, err
		}
		return 0, fmt.Errorf("import %s: %w", file, err)
	}
	return len(rows), nil
}

// PreviewImport checks an import file exactly as ImportUsers does, against the database as it is
// now, and returns the rows it would create — or the *ImportError with every problem by line —
// without changing anything. The browser's upload shows this before the admin applies the file.
func (s *Service) PreviewImport(ctx context.Context, file string, r io.Reader) ([]ImportRow, error) {
	rows, _, _, err := s.checkImport(ctx, file, r, func(string, int, int) {})
	return rows, err
}

// checkImport reads and stages an import file; every problem is returned as an *ImportError.
func (s *Service) checkImport(ctx context.Context, file string, r io.Reader, progress func(string, int, int)) ([]ImportRow, []stagedAccount, *ImportError, error) {
	bad := &ImportError{File: file}
	rows, err := parseImport(r, bad)
	if errors.Is(err, ErrImportUTF16) || errors.Is(err, ErrImportComma) {
		return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(rows) == 0 && len(bad.Problems) == 0 {
		return nil, nil, nil, errs.E(errs.Invalid, "%s: the file lists no accounts", file)
	}
	staged, err := s.stageImport(ctx, rows, bad, progress)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(bad.Problems) > 0 {
		slices.SortStableFunc(bad.Problems, func(a, b LineProblem) int { return a.Line - b.Line })
		return nil, nil, nil, bad
	}
	return rows, staged, bad, nil
}

// stagedAccount is one import row, ready to insert.
type stagedAccount struct {
	row       ImportRow
	in        NewAccount
	cohortID  int64
	tokenHash []byte
	mail      mailer.Message
}

// stageImport checks the rows against the database (read pool, no lock) and prepares every
// account: normalised input, cohort id, activation token and the composed e-mail.
func (s *Service) stageImport(ctx context.Context, rows []ImportRow, bad *ImportError, progress func(string, int, int)) ([]stagedAccount, error) {
	conn, err := s.db.R.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	byEmail, err := conn.PrepareContext(ctx, `SELECT 1 FROM users WHERE email = ?`)
	if err != nil {
		return nil, err
	}
	defer byEmail.Close()
	cohorts := map[string]int64{}
	baseURL := s.baseURL()
	var out []stagedAccount
	for i, row := range rows {
		if i%500 == 0 {
			progress("checking", i, len(rows))
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if !wellFormedEmail(row.Email) {
			continue
		}
		var one int
		switch err := byEmail.QueryRowContext(ctx, row.Email).Scan(&one); {
		case err == nil:
			bad.add(row.Line, "e-mail address %s is already registered", row.Email)
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
		var cohortID int64
		if row.Cohort != "" {
			id, known := cohorts[row.Cohort]
			if !known {
				var archived bool
				err := conn.QueryRowContext(ctx, `SELECT id, archived_at IS NOT NULL FROM cohorts WHERE name = ?`, row.Cohort).Scan(&id, &archived)
				switch {
				case errors.Is(err, sql.ErrNoRows):
					id = 0
				case err != nil:
					return nil, err
				case archived:
					id = -1
				}
				cohorts[row.Cohort] = id
			}
			switch id {
			case 0:
				bad.add(row.Line, "cohort %q does not exist (create it first with: saferspaces cohort create --name ...)", row.Cohort)
			case -1:
				bad.add(row.Line, "cohort %q is archived; restore it first or name another cohort", row.Cohort)
			}
			cohortID = id
		}
		if len(bad.Problems) > 0 {
			continue // only the problems matter now; nothing will be written
		}
		a := stagedAccount{row: row, cohortID: cohortID,
			in: NewAccount{Email: row.Email, Name: row.Name, Organisation: row.Organisation, Role: row.Role, Cohort: row.Cohort}}
		if err := a.in.normalise(); err != nil {
			if fields := errs.FieldsOf(err); fields != nil {
				for _, f := range fields {
					bad.add(row.Line, "%s: %s", f.Name, f.Message)
				}
				continue
			}
			return nil, fmt.Errorf("line %d: %w", row.Line, err)
		}
		raw, hash, err := newToken()
		if err != nil {
			return nil, err
		}
		a.tokenHash = hash
		a.mail, err = mailer.Compose(mailer.KindActivation, i18n.OrDefault(a.in.Lang), mailer.Data{Name: a.in.Name, Email: a.in.Email,
			Link: s.tokenLink(PurposeActivation, raw), BaseURL: baseURL, Contact: s.contact})
		if err == nil {
			err = mailer.Check(a.mail)
		}
		if err != nil {
			bad.add(row.Line, "%v", err)
			continue
		}
		out = append(out, a)
	}
	progress("checking", len(rows), len(rows))
	return out, nil
}

// applyImport writes the staged accounts in one transaction, all or nothing.
func (s *Service) applyImport(ctx context.Context, act audit.Actor, staged []stagedAccount, bad *ImportError, progress func(string, int, int)) error {
	now := s.now()
	return s.db.BulkTx(ctx, func(tx *sql.Tx) error {
		prep := func(q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, q) }
		// Another writer may have removed a cohort since staging; an address registered meanwhile
		// is caught by the UNIQUE constraint below.
		for id, name := range stagedCohorts(staged) {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM cohorts WHERE id = ? AND archived_at IS NULL`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return errs.E(errs.Conflict, "cohort %q was removed or archived during the import; nothing was imported", name)
			} else if err != nil {
				return err
			}
		}
		insUser, err := prep(`INSERT INTO users(email, name, organisation, position, lang, role, status, created_at, decided_at)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insUser.Close()
		// New accounts have no cohort yet: a plain insert, prepared once.
		joinCohort, err := prep(`INSERT INTO cohort_members(cohort_id, user_id, joined_at) VALUES(?, ?, ?)`)
		if err != nil {
			return err
		}
		defer joinCohort.Close()
		insToken, err := prep(`INSERT INTO tokens(hash, user_id, purpose, expires_at, created_at) VALUES(?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insToken.Close()
		mails, err := mailer.NewBatch(ctx, tx)
		if err != nil {
			return err
		}
		defer mails.Close()
		events, err := audit.NewBatch(ctx, tx)
		if err != nil {
			return err
		}
		defer events.Close()

		for i, a := range staged {
			if i%500 == 0 {
				progress("writing", i, len(staged))
			}
			in := a.in
			res, err := insUser.ExecContext(ctx, in.Email, in.Name, in.Organisation, in.Position, in.Lang, in.Role, StatusApproved,
				now.Unix(), now.Unix())
			if sqlite.IsUnique(err) {
				bad.add(a.row.Line, "e-mail address %s is already registered", in.Email)
				continue
			}
			if err != nil {
				return fmt.Errorf("line %d: create account: %w", a.row.Line, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			// As with `user create`: a learner joins the cohort, a trainer or admin leads it.
			if a.cohortID != 0 {
				if in.Role == RoleLearner {
					_, err = joinCohort.ExecContext(ctx, a.cohortID, id, now.Unix())
				} else {
					err = s.addTrainer(ctx, tx, a.cohortID, id)
				}
				if err != nil {
					return fmt.Errorf("line %d: %w", a.row.Line, err)
				}
			}
			if _, err := insToken.ExecContext(ctx, a.tokenHash, id, PurposeActivation, now.Add(ActivationTTL).Unix(), now.Unix()); err != nil {
				return fmt.Errorf("line %d: issue token: %w", a.row.Line, err)
			}
			if err := mails.Add(ctx, a.mail, now); err != nil {
				return fmt.Errorf("line %d: %w", a.row.Line, err)
			}
			detail := "role " + string(in.Role)
			if in.Cohort != "" {
				detail += "; cohort " + in.Cohort
			}
			if err := events.Add(ctx, audit.Event{At: now, ActorID: act.ID, Actor: act.Email, IP: act.IP, Action: "user.imported",
				TargetID: id, Target: in.Email, Detail: detail}); err != nil {
				return err
			}
		}
		progress("writing", len(staged), len(staged))
		if len(bad.Problems) > 0 {
			return bad // rolls back every row
		}
		return nil
	})
}

// stagedCohorts are the cohorts the staged accounts go into, id → name.
func stagedCohorts(staged []stagedAccount) map[int64]string {
	out := map[int64]string{}
	for _, a := range staged {
		if a.cohortID != 0 {
			out[a.cohortID] = a.in.Cohort
		}
	}
	return out
}
