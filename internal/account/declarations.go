package account

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/sqlite"
)

// Declaration is one published version of the usage-rights declaration. The highest version is in
// force; older ones stay as the record of what earlier acceptances referred to.
type Declaration struct {
	Version     int
	Texts       map[i18n.Lang]string // the required languages always, others where published
	PublishedAt time.Time
	Acceptances int // filled by Declarations only
}

// Text is the declaration in lang, or in the first fallback it was published in. The text in the
// default language is the authoritative version.
func (d *Declaration) Text(lang i18n.Lang) string {
	for _, l := range i18n.Fallbacks(lang) {
		if t := d.Texts[l]; t != "" {
			return t
		}
	}
	return ""
}

// TextLang is the language Text(lang) is in, for the lang attribute of the page that shows it.
func (d *Declaration) TextLang(lang i18n.Lang) i18n.Lang {
	for _, l := range i18n.Fallbacks(lang) {
		if d.Texts[l] != "" {
			return l
		}
	}
	return lang
}

// Paragraphs splits the text in lang at blank lines, each paragraph into its lines, for rendering
// plain text as HTML without trusting any markup in it.
func (d *Declaration) Paragraphs(lang i18n.Lang) [][]string {
	var out [][]string
	text := strings.ReplaceAll(d.Text(lang), "\r\n", "\n")
	for p := range strings.SplitSeq(text, "\n\n") {
		var lines []string
		for l := range strings.SplitSeq(p, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}

// MaxDeclarationLen bounds each language's text (in characters).
const MaxDeclarationLen = 50000

// AcceptanceRecord is the proof that a user accepted a declaration version.
type AcceptanceRecord struct {
	Version    int       `json:"version"`
	AcceptedAt time.Time `json:"accepted_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
}

// CurrentDeclaration returns the version in force.
func (s *Service) CurrentDeclaration(ctx context.Context) (*Declaration, error) {
	return currentDeclaration(ctx, s.db.R)
}

func currentDeclaration(ctx context.Context, q querier) (*Declaration, error) {
	d := Declaration{Texts: map[i18n.Lang]string{}}
	var at int64
	err := q.QueryRowContext(ctx, `SELECT version, published_at FROM declarations
		ORDER BY version DESC LIMIT 1`).Scan(&d.Version, &at)
	if err != nil {
		return nil, sqlite.NotFound(err, "declaration")
	}
	d.PublishedAt = sqlite.Time(at)
	if err := declarationTexts(ctx, q, map[int]*Declaration{d.Version: &d}); err != nil {
		return nil, err
	}
	return &d, nil
}

// declarationTexts fills in the texts of the given versions.
func declarationTexts(ctx context.Context, q querier, byVersion map[int]*Declaration) error {
	return sqlite.Each(ctx, q, `SELECT version, lang, text FROM declaration_texts`, nil, func(scan func(...any) error) error {
		var v int
		var lang, text string
		if err := scan(&v, &lang, &text); err != nil {
			return err
		}
		if d := byVersion[v]; d != nil {
			d.Texts[i18n.Lang(lang)] = text
		}
		return nil
	})
}

// PublishDeclaration makes a new version the one in force. From the next request on, every user
// has to accept it (see NeedsAcceptance). texts must have the required languages; other languages
// may be left empty (their readers then see the English text).
func (s *Service) PublishDeclaration(ctx context.Context, act audit.Actor, texts map[i18n.Lang]string) (*Declaration, error) {
	clean := map[i18n.Lang]string{}
	var fields errs.Fields
	for _, lang := range i18n.Languages() {
		t := normalText(texts[lang])
		switch {
		case t == "" && slices.Contains(i18n.Required, lang):
			fields.Add("text_"+string(lang), "required", "is required")
		case utf8.RuneCountInString(t) > MaxDeclarationLen:
			fields.Add("text_"+string(lang), "max", fmt.Sprintf("may have at most %d characters", MaxDeclarationLen))
		case t != "":
			clean[lang] = t
		}
	}
	if err := fields.Err("the declaration needs its text in %s and at most %d characters per language", requiredList(), MaxDeclarationLen); err != nil {
		return nil, err
	}
	now := s.now()
	d := &Declaration{Texts: clean, PublishedAt: now.Truncate(time.Second)}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) + 1 FROM declarations`).Scan(&d.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO declarations(version, published_at, published_by)
			VALUES(?, ?, NULLIF(?, 0))`, d.Version, now.Unix(), act.ID); err != nil {
			return err
		}
		for lang, t := range clean {
			if _, err := tx.ExecContext(ctx, `INSERT INTO declaration_texts(version, lang, text) VALUES (?, ?, ?)`,
				d.Version, string(lang), t); err != nil {
				return err
			}
		}
		return audit.Log(ctx, tx, now, act, "declaration.published", 0, fmt.Sprintf("declaration v%d", d.Version), "")
	})
	if err != nil {
		return nil, fmt.Errorf("publish declaration: %w", err)
	}
	return d, nil
}

// normalText trims the text and unifies line ends, so that a textarea's CRLF does not end up in
// the record.
func normalText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// AcceptDeclaration records that the user accepted version. Only the version in force can be
// accepted: a form that was shown before a newer version was published is stale (errs.Conflict),
// and the user must read the new text first. Accepting the same version twice records it once.
func (s *Service) AcceptDeclaration(ctx context.Context, userID int64, version int, ip, ua string) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := currentDeclaration(ctx, tx)
		if err != nil {
			return err
		}
		if version != cur.Version {
			return errs.E(errs.Conflict, "a newer version of the declaration has been published; please read it first")
		}
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM declaration_acceptances WHERE user_id = ? AND version = ?`,
			userID, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := insertAcceptance(ctx, tx, userID, version, now, ip, ua); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "declaration.accepted",
			TargetID: u.ID, Target: u.Email, Detail: fmt.Sprintf("version %d", version), IP: ip})
	})
	if err != nil {
		return fmt.Errorf("accept declaration: %w", err)
	}
	return nil
}

// maxUserAgent bounds what is kept of a User-Agent header; it is evidence, not a place to store
// arbitrary client data.
const maxUserAgent = 512

func insertAcceptance(ctx context.Context, tx *sql.Tx, userID int64, version int, at time.Time, ip, ua string) error {
	ua = clipBytes(strings.ToValidUTF8(ua, "\uFFFD"), maxUserAgent)
	_, err := tx.ExecContext(ctx, `INSERT INTO declaration_acceptances(user_id, version, accepted_at, ip, user_agent)
		VALUES(?, ?, ?, ?, ?)`, userID, version, at.Unix(), ip, ua)
	if err != nil {
		return fmt.Errorf("record acceptance: %w", err)
	}
	return nil
}

// Declarations lists every version, newest first, with how many acceptances each has.
func (s *Service) Declarations(ctx context.Context) ([]Declaration, error) {
	var out []*Declaration
	byVersion := map[int]*Declaration{}
	err := sqlite.Each(ctx, s.db.R, `SELECT d.version, d.published_at,
			(SELECT count(*) FROM declaration_acceptances a WHERE a.version = d.version)
		FROM declarations d ORDER BY d.version DESC`, nil, func(scan func(...any) error) error {
		d := &Declaration{Texts: map[i18n.Lang]string{}}
		var at int64
		if err := scan(&d.Version, &at, &d.Acceptances); err != nil {
			return err
		}
		d.PublishedAt = sqlite.Time(at)
		out = append(out, d)
		byVersion[d.Version] = d
		return nil
	})
	if err == nil {
		err = declarationTexts(ctx, s.db.R, byVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("list declarations: %w", err)
	}
	list := make([]Declaration, len(out))
	for i, d := range out {
		list[i] = *d
	}
	return list, nil
}

// requiredList names the required languages for messages: "de, en".
func requiredList() string {
	var s []string
	for _, l := range i18n.Required {
		s = append(s, string(l))
	}
	return strings.Join(s, ", ")
}

// Acceptances is a user's acceptance history, newest first.
func (s *Service) Acceptances(ctx context.Context, userID int64) ([]AcceptanceRecord, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT version, accepted_at, ip, user_agent FROM declaration_acceptances
		WHERE user_id = ? ORDER BY accepted_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list acceptances: %w", err)
	}
	defer rows.Close()
	var out []AcceptanceRecord
	for rows.Next() {
		var a AcceptanceRecord
		var at int64
		if err := rows.Scan(&a.Version, &at, &a.IP, &a.UserAgent); err != nil {
			return nil, fmt.Errorf("list acceptances: %w", err)
		}
		a.AcceptedAt = sqlite.Time(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// clipBytes cuts s to at most n bytes without splitting a UTF-8 character.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
