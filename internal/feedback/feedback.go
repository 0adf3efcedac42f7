// Package feedback keeps the accessibility feedback that people send through the form of the
// accessibility statement (BITV 2.0 § 7): each message is stored, mailed to the operator's
// contact address (or, without one, to the admins), shown to admins as open until one of them
// marks it done, and due one month after it came in.
package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	mailer "saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
)

// MaxMessage is the longest message accepted, in characters.
const MaxMessage = 5000

// Input is what the form sends; the field tags are its field names (SPEC: message, email).
type Input struct {
	Message string `field:"message" validate:"min=1,max=5000,text"`
	Email   string `field:"email" validate:"omitempty,max=254,mailbox"`
	Lang    i18n.Lang
}

// Feedback is one stored message.
type Feedback struct {
	ID        int64
	Message   string
	Email     string
	Lang      i18n.Lang
	CreatedAt time.Time
	DueAt     time.Time
	DoneAt    time.Time // zero while open
}

// Open reports whether no admin has marked it done yet.
func (f *Feedback) Open() bool { return f.DoneAt.IsZero() }

// Overdue reports whether it is open past its due date.
func (f *Feedback) Overdue(now time.Time) bool { return f.Open() && now.After(f.DueAt) }

// Service stores and lists feedback.
type Service struct {
	db      *sqlite.DB
	now     func() time.Time
	loc     *time.Location
	link    func(string) string
	contact string // the operator's contact address; "" sends to the admins
}

// New builds the service; link makes absolute URLs for the mail, contact receives it.
func New(db *sqlite.DB, now func() time.Time, loc *time.Location, link func(string) string, contact string) *Service {
	return &Service{db: db, now: now, loc: loc, link: link, contact: contact}
}

var check = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return f.Tag.Get("field") })
	_ = v.RegisterValidation("text", func(fl validator.FieldLevel) bool { return isText(fl.Field().String()) })
	_ = v.RegisterValidation("mailbox", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		a, err := mail.ParseAddress(s)
		return err == nil && a.Address == s
	})
	return v
}()

// isText accepts valid UTF-8 with line breaks and tabs but no other control characters and no
// characters that reorder text.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case unicode.IsControl(r), r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
			return false
		}
	}
	return true
}

func (in *Input) normalise() error {
	in.Message = strings.TrimSpace(strings.ReplaceAll(in.Message, "\r\n", "\n"))
	in.Email = strings.TrimSpace(in.Email)
	if utf8.RuneCountInString(in.Message) > MaxMessage {
		in.Message = string([]rune(in.Message)[:MaxMessage+1]) // keeps the error, bounds the work
	}
	err := check.Struct(in)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return err
	}
	var fields errs.Fields
	for _, fe := range ves {
		fields.Add(fe.Field(), fe.Tag(), "is not valid ("+fe.Tag()+")")
	}
	return fields.Err("feedback: %s", fields.Messages())
}

// Submit stores the feedback and queues its mail in one transaction, and returns it (with its
// due date). The sender gets no mail: the form would otherwise send mail to any address typed.
func (s *Service) Submit(ctx context.Context, act audit.Actor, in Input) (*Feedback, error) {
	if err := in.normalise(); err != nil {
		return nil, err
	}
	now := s.now()
	f := &Feedback{Message: in.Message, Email: in.Email, Lang: i18n.OrDefault(string(in.Lang)),
		CreatedAt: sqlite.Time(now.Unix()), DueAt: sqlite.Time(now.AddDate(0, 1, 0).Unix())}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO accessibility_feedback(message, email, lang, created_at, due_at)
			VALUES (?, ?, ?, ?, ?)`, f.Message, f.Email, f.Lang, f.CreatedAt.Unix(), f.DueAt.Unix())
		if err != nil {
			return err
		}
		if f.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		type to struct {
			addr, name string
			lang       i18n.Lang
		}
		var recipients []to
		if s.contact != "" {
			recipients = append(recipients, to{addr: s.contact, lang: i18n.Default})
		} else {
			admins, err := account.AdminContacts(ctx, tx)
			if err != nil {
				return err
			}
			for _, a := range admins {
				recipients = append(recipients, to{a.Email, a.Name, a.Lang})
			}
		}
		for _, r := range recipients {
			m, err := mailer.Compose(mailer.KindFeedback, r.lang, mailer.Data{Email: f.Email, Message: f.Message,
				Date: i18n.Date(r.lang, f.DueAt, s.loc), BaseURL: s.link(""), Contact: s.contact})
			if err != nil {
				return err
			}
			m.To, m.ToName, m.Public = r.addr, strings.Join(strings.Fields(r.name), " "), true
			if _, err := mailer.Enqueue(ctx, tx, m, now); err != nil {
				return err
			}
		}
		// Neither the message nor the address goes into the log: the row is the record.
		return audit.Log(ctx, tx, now, act, "feedback.received", 0, "", fmt.Sprintf("feedback #%d, due %s", f.ID, f.DueAt.Format(time.DateOnly)))
	})
	if err != nil {
		return nil, fmt.Errorf("store feedback: %w", err)
	}
	return f, nil
}

// List returns every stored feedback, open ones first (the most urgent first), then done ones,
// newest first.
func (s *Service) List(ctx context.Context) ([]Feedback, error) {
	var out []Feedback
	err := sqlite.Each(ctx, s.db.R, `SELECT id, message, email, lang, created_at, due_at, coalesce(done_at, 0)
		FROM accessibility_feedback ORDER BY done_at IS NOT NULL, CASE WHEN done_at IS NULL THEN due_at ELSE -done_at END, id`,
		nil, func(scan func(...any) error) error {
			var f Feedback
			var created, due, done int64
			if err := scan(&f.ID, &f.Message, &f.Email, &f.Lang, &created, &due, &done); err != nil {
				return err
			}
			f.CreatedAt, f.DueAt, f.DoneAt = sqlite.Time(created), sqlite.Time(due), sqlite.Time(done)
			out = append(out, f)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	return out, nil
}

// OpenCount is how many messages wait for an answer.
func (s *Service) OpenCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM accessibility_feedback WHERE done_at IS NULL`).Scan(&n)
	return n, err
}

// MarkDone records that the feedback was answered. Marking it again changes nothing.
func (s *Service) MarkDone(ctx context.Context, act audit.Actor, id int64) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var done sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT done_at FROM accessibility_feedback WHERE id = ?`, id).Scan(&done)
		if err != nil {
			return sqlite.NotFound(err, "feedback")
		}
		if done.Valid {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accessibility_feedback SET done_at = ?, done_by = NULLIF(?, 0) WHERE id = ?`,
			now.Unix(), act.ID, id); err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "feedback.done", 0, "", fmt.Sprintf("feedback #%d", id))
	})
}

// Purge deletes feedback marked done before before (dryRun: only counts).
func (s *Service) Purge(ctx context.Context, before time.Time, dryRun bool) (int, error) {
	if dryRun {
		var n int
		err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM accessibility_feedback WHERE done_at < ?`, before.Unix()).Scan(&n)
		return n, err
	}
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM accessibility_feedback WHERE done_at < ?`, before.Unix())
	if err != nil {
		return 0, fmt.Errorf("purge feedback: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Forget deletes the feedback a person sent with their address, in the transaction of their
// erasure.
func Forget(ctx context.Context, tx *sql.Tx, email string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM accessibility_feedback WHERE email = ? COLLATE NOCASE`, email); err != nil {
		return fmt.Errorf("forget feedback: %w", err)
	}
	return nil
}

// Export is one message a person sent, for their data export.
type Export struct {
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
	DueAt     time.Time `json:"due_at"`
	DoneAt    time.Time `json:"done_at,omitzero"`
}

// SentFrom lists the feedback sent with the address, oldest first.
func (s *Service) SentFrom(ctx context.Context, email string) ([]Export, error) {
	out := []Export{}
	err := sqlite.Each(ctx, s.db.R, `SELECT message, created_at, due_at, coalesce(done_at, 0) FROM accessibility_feedback
		WHERE email = ? COLLATE NOCASE ORDER BY id`, []any{email}, func(scan func(...any) error) error {
		var e Export
		var c, d, x int64
		err := scan(&e.Message, &c, &d, &x)
		e.CreatedAt, e.DueAt, e.DoneAt = sqlite.Time(c), sqlite.Time(d), sqlite.Time(x)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("export feedback: %w", err)
	}
	return out, nil
}
