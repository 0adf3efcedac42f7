package learning

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/codes"
	"saferspaces/internal/content"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/mail"
	"saferspaces/internal/paths"
	"saferspaces/internal/sqlite"
)

// Certificate confirms that a learner completed a module or, with ModuleID ProgrammeID, the whole
// programme.
type Certificate struct {
	ID       int64
	Code     string // XXXX-XXXX-XXXX
	UserID   int64
	ModuleID string
	IssuedAt time.Time
	Module   *content.Module // nil for the programme, or when the module left the content
	Name     string          // the holder's current name; filled by CertificateByCode
	// Anonymised: the holder's account was anonymised or erased; the certificate is still genuine
	// and verifiable by its code, but names nobody.
	Anonymised bool
	// Titles is the module's title per language as it was when the certificate was issued; empty
	// for the programme.
	Titles content.Text
	// Modules are, for the programme's certificate, the modules the programme consists of (the
	// current content); filled by CertificateByCode.
	Modules []*content.Module
	// Issuer is who issues the certificate, named on it; "" is the platform (Platform).
	Issuer string
}

// Programme reports whether the certificate is for the whole programme.
func (c *Certificate) Programme() bool { return c.ModuleID == ProgrammeID }

// Title is what the certificate is for, in lang: the title it was issued with (a later edit of
// the module does not change what was certified), else the module's current title for a
// language added since, else the issued title in a fallback language. A module that was removed
// from the content keeps its title this way; only certificates from before titles were stored,
// of modules removed before the platform could record them, fall back to the module id.
func (c *Certificate) Title(lang i18n.Lang) string {
	switch {
	case c.Programme():
		return i18n.T(lang, "certificate.programme_title")
	case c.Titles[lang] != "":
		return c.Titles[lang]
	case c.Module != nil:
		return c.Module.Title.In(lang)
	case len(c.Titles) > 0:
		if t := c.Titles.In(lang); t != "" {
			return t
		}
	}
	return c.ModuleID
}

// titlesJSON is what a certificate for the module stores: its title in every language.
func titlesJSON(m *content.Module) string {
	if m == nil || len(m.Title) == 0 {
		return "{}"
	}
	b, err := json.Marshal(m.Title)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// BackfillTitles stores the titles of certificates issued before titles were stored, from the
// modules that are still in the content. serve runs it at start; it writes only when there is
// something to fill.
func (s *Service) BackfillTitles(ctx context.Context) (int, error) {
	var missing []string
	err := sqlite.Each(ctx, s.db.R, `SELECT DISTINCT module_id FROM certificates WHERE titles = '{}' AND module_id <> ?`,
		[]any{ProgrammeID}, func(scan func(...any) error) error {
			var id string
			if err := scan(&id); err != nil {
				return err
			}
			missing = append(missing, id)
			return nil
		})
	if err != nil || len(missing) == 0 {
		return 0, err
	}
	n := 0
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, id := range missing {
			m := s.cat.Module(id)
			if m == nil {
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE certificates SET titles = ? WHERE module_id = ? AND titles = '{}'`, titlesJSON(m), id)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store certificate titles: %w", err)
	}
	return n, nil
}

// Path is the public verification page of the certificate.
func (c *Certificate) Path() string { return paths.Certificate(c.Code) }

// issue writes the learner's summary of the outcome and issues whatever certificates its records
// now earn and the learner has not got yet: one for every complete module and one for the
// programme once every module is complete. It runs inside the transaction of the change that may
// have completed something, so a completion and its certificate are committed together. Issuing
// also covers modules completed earlier under other content, which is harmless: a certificate
// once issued is never taken back.
func (s *Service) issue(ctx context.Context, tx *sql.Tx, o *outcome, attemptID int64, now time.Time) ([]Certificate, error) {
	userID := o.userID
	// The learner's summary changes with every record; it is written with them.
	if err := s.writeOutcome(ctx, tx, o); err != nil {
		return nil, err
	}
	var want []string
	for _, p := range o.mods {
		if p.Complete && p.Certificate == nil {
			want = append(want, p.Module.ID)
		}
	}
	if o.pr.Complete && o.pr.Certificate == nil {
		want = append(want, ProgrammeID)
	}
	var issued []Certificate
	for _, moduleID := range want {
		c, err := s.insertCertificate(ctx, tx, userID, moduleID, attemptID, now)
		if err != nil {
			return nil, err
		}
		if err := s.mailCertificate(ctx, tx, c, now); err != nil {
			return nil, err
		}
		issued = append(issued, *c)
	}
	return issued, nil
}

func (s *Service) insertCertificate(ctx context.Context, tx *sql.Tx, userID int64, moduleID string, attemptID int64, now time.Time) (*Certificate, error) {
	c := &Certificate{UserID: userID, ModuleID: moduleID, IssuedAt: sqlite.Time(now.Unix()), Module: s.cat.Module(moduleID)}
	titles := titlesJSON(c.Module)
	if c.Module != nil {
		c.Titles = c.Module.Title
	}
	// 60 random bits make a clash vanishingly rare, but a clash must be a retry, not an error.
	for range 5 {
		c.Code = codes.New()
		res, err := tx.ExecContext(ctx, `INSERT INTO certificates(code, user_id, module_id, issued_at, attempt_id, titles)
			VALUES (?, ?, ?, ?, NULLIF(?, 0), ?)`, c.Code, userID, moduleID, now.Unix(), attemptID, titles)
		if sqlite.IsUnique(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("issue certificate: %w", err)
		}
		c.ID, err = res.LastInsertId()
		return c, err
	}
	return nil, fmt.Errorf("issue certificate: no free code after 5 tries")
}

// mailCertificate queues the "your certificate" e-mail, when mail is switched on. An address
// the outbox refuses is skipped rather than undoing the learner's completion.
func (s *Service) mailCertificate(ctx context.Context, tx *sql.Tx, c *Certificate, now time.Time) error {
	if s.link == nil {
		return nil
	}
	to, ok, err := account.ContactOf(ctx, tx, c.UserID)
	if err != nil || !ok {
		return err
	}
	msg, err := mail.Compose(mail.KindCertificate, to.Lang, mail.Data{
		Name: to.Name, Email: to.Email, Module: c.Title(to.Lang), Link: s.link(c.Path()), Contact: s.contact,
	})
	if err == nil {
		_, err = mail.Enqueue(ctx, tx, msg, now)
	}
	if errs.Is(err, errs.Invalid) {
		return nil
	}
	return err
}

const certColumns = `c.id, c.code, c.user_id, c.module_id, c.issued_at, c.titles`

func scanCertificate(scan func(...any) error, extra ...any) (Certificate, error) {
	var c Certificate
	var at int64
	var titles string
	err := scan(append([]any{&c.ID, &c.Code, &c.UserID, &c.ModuleID, &at, &titles}, extra...)...)
	c.IssuedAt = sqlite.Time(at)
	if err == nil && titles != "{}" && titles != "" {
		if jerr := json.Unmarshal([]byte(titles), &c.Titles); jerr != nil {
			c.Titles = nil // an unreadable value falls back to the content, as before titles were stored
		}
	}
	return c, err
}

// certificatesOf reads a learner's certificates, without their modules (records has no catalog).
func certificatesOf(ctx context.Context, q querier, userID int64) ([]Certificate, error) {
	var out []Certificate
	err := sqlite.Each(ctx, q, `SELECT `+certColumns+` FROM certificates c WHERE c.user_id = ? ORDER BY c.issued_at, c.id`,
		[]any{userID}, func(scan func(...any) error) error {
			c, err := scanCertificate(scan)
			out = append(out, c)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("read certificates: %w", err)
	}
	return out, nil
}

// Certificates is a learner's certificates: modules in content order, then modules that have
// left the content, the programme last.
func (s *Service) Certificates(ctx context.Context, userID int64) ([]Certificate, error) {
	certs, err := certificatesOf(ctx, s.db.R, userID)
	if err != nil {
		return nil, err
	}
	order := map[string]int{ProgrammeID: len(s.cat.Modules) + 1}
	for i, m := range s.cat.Modules {
		order[m.ID] = i
	}
	rank := func(c Certificate) int {
		if i, ok := order[c.ModuleID]; ok {
			return i
		}
		return len(s.cat.Modules)
	}
	for i := range certs {
		certs[i].Module = s.cat.Module(certs[i].ModuleID)
	}
	slices.SortStableFunc(certs, func(a, b Certificate) int { return cmp.Compare(rank(a), rank(b)) })
	return certs, nil
}

// CertificateByCode finds a certificate for the public verification page, with the holder's
// current name. Codes are matched however they are typed; something that cannot be a code is
// errs.NotFound without a query. The certificate of an erased or anonymised account stays
// verifiable (module, date, code) but names nobody: the page says the name is no longer stored.
func (s *Service) CertificateByCode(ctx context.Context, code string) (*Certificate, error) {
	code, ok := codes.Normalize(code)
	if !ok {
		return nil, errs.E(errs.NotFound, "certificate not found")
	}
	row := s.db.R.QueryRowContext(ctx, `SELECT `+certColumns+` FROM certificates c WHERE c.code = ?`, code)
	c, err := scanCertificate(row.Scan)
	if err != nil {
		return nil, sqlite.NotFound(err, "certificate")
	}
	holder, ok, err := account.ContactOf(ctx, s.db.R, c.UserID)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.NotFound, "certificate not found")
	}
	if err != nil {
		return nil, err
	}
	c.Module = s.cat.Module(c.ModuleID)
	if ok {
		c.Name = holder.Name
	} else {
		c.Anonymised = true
	}
	if c.Programme() {
		c.Modules = s.cat.Modules
	}
	return &c, nil
}

// IssuedBy lists the certificates that the learner's self-check attempt issued (none for another
// learner's attempt), with their modules.
func (s *Service) IssuedBy(ctx context.Context, userID, attemptID int64) ([]Certificate, error) {
	var out []Certificate
	err := sqlite.Each(ctx, s.db.R, `SELECT `+certColumns+` FROM certificates c WHERE c.user_id = ? AND c.attempt_id = ?
		ORDER BY c.id`, []any{userID, attemptID}, func(scan func(...any) error) error {
		c, err := scanCertificate(scan)
		c.Module = s.cat.Module(c.ModuleID)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("certificates of attempt %d: %w", attemptID, err)
	}
	return out, nil
}
