package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/mail"
)

// adminBase is what every admin page carries: Tab marks the active item of the admin navigation.
type adminBase struct {
	Base
	Tab   string
	Error string // why the last action was refused, shown as an alert
}

func (s *Server) adminBase(w http.ResponseWriter, r *http.Request, titleID, tab string) adminBase {
	b := adminBase{Base: s.base(r, titleID), Tab: tab}
	b.Notice = s.takeNotice(w, r)
	return b
}

// done answers a successful admin POST: back to the page, which shows the confirmation once.
func (s *Server) done(w http.ResponseWriter, r *http.Request, path, notice string) {
	// Most admin actions queue mail; send it now rather than at the next poll.
	s.kickMail()
	s.setNotice(w, r, "admin.notice."+notice)
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// refuse answers an admin action that failed: an unknown id is a 404 (even where the
// cause is a refusal, such as an unknown cohort in the path); if the failure is the admin's to fix,
// again shows the page once more with a status and the reason in the admin's language; anything
// else goes to the error pages.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error, again func(status int, msg string)) {
	if errs.Is(err, errs.NotFound) {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	if status, msg, ok := s.refusal(state(r).lang, err); ok {
		again(status, msg)
		return
	}
	s.fail(w, r, err)
}

// refusal translates an admin action's expected failures into a status and a message in the
// admin's language; ok is false for errors that are not the admin's to fix.
func (s *Server) refusal(lang i18n.Lang, err error) (status int, msg string, ok bool) {
	for _, c := range []struct {
		err error
		key string
	}{
		{account.ErrWrongStatus, "admin.error.status"},
		{account.ErrLastAdmin, "admin.error.last_admin"},
		{account.ErrOwnAdminRole, "admin.error.own_role"},
		{account.ErrOwnAccount, "admin.error.own_account"},
		{account.ErrNoSuchCohort, "admin.error.no_cohort"},
		{account.ErrNotALeader, "admin.error.not_leader"},
		{errNotConfirmed, "admin.user.error.confirm"},
		{account.ErrNoFactor, "integration.admin.error.no_factor"},
	} {
		if errors.Is(err, c.err) {
			status = http.StatusConflict
			if errs.Is(err, errs.Invalid) {
				status = http.StatusUnprocessableEntity
			}
			return status, i18n.T(lang, c.key), true
		}
	}
	switch errs.KindOf(err) {
	case errs.Conflict:
		return http.StatusConflict, i18n.T(lang, "admin.error.conflict"), true
	case errs.Invalid:
		return http.StatusUnprocessableEntity, i18n.T(lang, "admin.error.invalid"), true
	}
	return 0, "", false
}

// pathID reads the {id} of an admin URL; anything but a positive integer is a 404, never a 500.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound)
		return 0, false
	}
	return id, true
}

// optionalID reads a form field that holds an id or nothing; ok is false for anything else.
func optionalID(v string) (id int64, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, true
	}
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}

// cohortField reads a cohort form field: the cohort's id (what the platform's own forms send) or
// its name (what a script that knows only `saferspaces cohort create --name N` sends). Empty is
// "no cohort"; an unknown name or a malformed value is not ok. A name wins over an id, so a cohort
// called "2026" is that cohort and not cohort number 2026.
func (s *Server) cohortField(r *http.Request, v string) (id int64, ok bool) {
	if v = strings.TrimSpace(v); v == "" {
		return 0, true
	}
	if c, err := s.acc.CohortByName(r.Context(), v); err == nil {
		return c.ID, true
	}
	return optionalID(v)
}

// pager is the paging of a long admin list; Prev and Next keep the list's filters.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
}

func newPager(r *http.Request, total, size int) (pager, int) {
	p := pager{Total: total, Pages: max(1, (total+size-1)/size)}
	p.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	p.Page = min(max(p.Page, 1), p.Pages)
	link := func(page int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page))
		return r.URL.Path + "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	return p, (p.Page - 1) * size
}

// --- registrations ---

type registrationsData struct {
	adminBase
	Applicants []account.Applicant
	Cohorts    []account.CohortSummary
	ItemError  map[int64]string // per applicant: why the last decision was refused
	Reason     map[int64]string // per applicant: the reason typed, kept when it was refused
	Pager      pager
}

// registrationsPageSize keeps the queue's page small enough to read and fast to render, however
// many applicants a campaign brings in.
const registrationsPageSize = 20

func (s *Server) registrationsPage(w http.ResponseWriter, r *http.Request, status int, id int64, errMsg, reason string) {
	total, err := s.acc.PendingCount(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, offset := newPager(r, total, registrationsPageSize)
	apps, _, err := s.acc.PendingRegistrations(r.Context(), registrationsPageSize, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cohorts, err := s.acc.CohortOverview(r.Context(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &registrationsData{adminBase: s.adminBase(w, r, "admin.reg.title", "registrations"), Applicants: apps, Cohorts: cohorts,
		ItemError: map[int64]string{}, Reason: map[int64]string{}, Pager: p}
	if errMsg != "" {
		d.ItemError[id], d.Reason[id] = errMsg, reason
		d.Error = errMsg
	}
	s.page(w, r, status, "admin_registrations", d)
}

func (s *Server) adminRegistrations(w http.ResponseWriter, r *http.Request) {
	s.registrationsPage(w, r, http.StatusOK, 0, "", "")
}

func (s *Server) adminApprove(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	lang := state(r).lang
	cohort, ok := s.cohortField(r, r.PostFormValue("cohort"))
	if !ok {
		s.registrationsPage(w, r, http.StatusUnprocessableEntity, id, i18n.T(lang, "admin.error.no_cohort"), "")
		return
	}
	if err := s.acc.Approve(r.Context(), s.actor(r), id, cohort); err != nil {
		s.registrationRefused(w, r, id, err, "")
		return
	}
	s.done(w, r, "/admin/registrations", "approved")
}

func (s *Server) adminReject(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if err := s.acc.Reject(r.Context(), s.actor(r), id, reason); err != nil {
		if errs.FieldsOf(err).Has("reason") {
			s.registrationsPage(w, r, http.StatusUnprocessableEntity, id, i18n.T(state(r).lang, "admin.reg.error.reason"), reason)
			return
		}
		s.registrationRefused(w, r, id, err, reason)
		return
	}
	s.done(w, r, "/admin/registrations", "rejected")
}

func (s *Server) registrationRefused(w http.ResponseWriter, r *http.Request, id int64, err error, reason string) {
	s.refuse(w, r, err, func(status int, msg string) { s.registrationsPage(w, r, status, id, msg, reason) })
}

// --- declarations ---

// declarationText is the form field of one language's text.
type declarationText struct {
	Lang     i18n.Lang
	Name     string // text_LANG
	Text     string
	Required bool
}

type declarationsData struct {
	adminBase
	Current  *account.Declaration
	Versions []account.Declaration
	Texts    []declarationText
	Errors   formErrors
}

func (s *Server) declarationsPage(w http.ResponseWriter, r *http.Request, status int, texts map[i18n.Lang]string, fe formErrors) {
	versions, err := s.acc.Declarations(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(versions) == 0 {
		s.fail(w, r, errors.New("no declaration published"))
		return
	}
	d := &declarationsData{adminBase: s.adminBase(w, r, "admin.decl.title", "declarations"), Current: &versions[0],
		Versions: versions, Errors: fe}
	if texts == nil {
		texts = versions[0].Texts
	}
	for _, l := range i18n.Languages() {
		d.Texts = append(d.Texts, declarationText{Lang: l, Name: "text_" + string(l), Text: texts[l],
			Required: slices.Contains(i18n.Required, l)})
	}
	s.page(w, r, status, "admin_declarations", d)
}

func (s *Server) adminDeclarations(w http.ResponseWriter, r *http.Request) {
	s.declarationsPage(w, r, http.StatusOK, nil, formErrors{})
}

func (s *Server) adminPublishDeclaration(w http.ResponseWriter, r *http.Request) {
	lang := state(r).lang
	texts := map[i18n.Lang]string{}
	for _, l := range i18n.Languages() {
		texts[l] = strings.TrimSpace(r.PostFormValue("text_" + string(l)))
	}
	cur, err := s.acc.CurrentDeclaration(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var fe formErrors
	if !slices.ContainsFunc(i18n.Languages(), func(l i18n.Lang) bool { return normalLines(texts[l]) != normalLines(cur.Texts[l]) }) {
		// Publishing the same text would make every user accept it again for nothing.
		fe.add("text_"+string(i18n.Default), i18n.T(lang, "admin.decl.error.unchanged"))
	} else if _, err := s.acc.PublishDeclaration(r.Context(), s.actor(r), texts); err != nil {
		fields := errs.FieldsOf(err)
		if fields == nil {
			s.fail(w, r, err)
			return
		}
		for _, f := range fields {
			l, _ := strings.CutPrefix(f.Name, "text_")
			fe.add(f.Name, i18n.T(lang, "admin.decl.error.text", "Language", i18n.Name(i18n.Lang(l)), "Max", account.MaxDeclarationLen))
		}
	}
	if fe.Any() {
		s.declarationsPage(w, r, http.StatusUnprocessableEntity, texts, fe)
		return
	}
	s.done(w, r, "/admin/declarations", "published")
}

// firstRunes bounds a search term from the URL without cutting a character in half.
func firstRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func normalLines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// --- audit log ---

type auditData struct {
	adminBase
	Q      string
	Events []auditRow
	Pager  pager
}

const auditPage = 100

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) {
	q := firstRunes(strings.TrimSpace(r.URL.Query().Get("q")), 200)
	lang := state(r).lang
	actions := auditActionsMatching(lang, q)
	_, total, err := s.Audit.List(r.Context(), q, 1, 0, actions...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, offset := newPager(r, total, auditPage)
	events, _, err := s.Audit.List(r.Context(), q, auditPage, offset, actions...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "admin_audit", &auditData{adminBase: s.adminBase(w, r, "admin.audit.title", "audit"),
		Q: q, Events: auditRows(lang, events), Pager: p})
}

// --- mail outbox ---

type mailData struct {
	adminBase
	Status   string
	Statuses []string
	Entries  []mail.Entry
	Pager    pager
}

const mailPage = 50

func (s *Server) mailPage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	st := r.URL.Query().Get("status")
	switch st {
	case mail.StatusPending, mail.StatusSent, mail.StatusFailed:
	default:
		st = ""
	}
	_, total, err := s.Outbox.List(r.Context(), st, 1, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, offset := newPager(r, total, mailPage)
	entries, _, err := s.Outbox.List(r.Context(), st, mailPage, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &mailData{adminBase: s.adminBase(w, r, "admin.mail.title", "mail"), Status: st,
		Statuses: []string{mail.StatusPending, mail.StatusSent, mail.StatusFailed}, Entries: entries, Pager: p}
	d.Error = errMsg
	s.page(w, r, status, "admin_mail", d)
}

func (s *Server) adminMail(w http.ResponseWriter, r *http.Request) {
	s.mailPage(w, r, http.StatusOK, "")
}

func (s *Server) adminMailRetry(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	if err := s.Outbox.Retry(r.Context(), s.actor(r), id); err != nil {
		if errs.Is(err, errs.Conflict) {
			s.mailPage(w, r, http.StatusConflict, i18n.T(state(r).lang, "admin.mail.error.sent"))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.done(w, r, "/admin/mail", "retried")
}
