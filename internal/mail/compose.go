// Package mail composes the platform's e-mails from the message catalogs (mail.LANG.yaml), keeps them in an outbox
// table written in the same transaction as the event that causes them, and delivers them with a
// retrying worker through SMTP or, without an SMTP server, into a folder of .eml files.
package mail

import (
	"fmt"
	"slices"
	"strings"

	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/paths"
)

// Kind names an e-mail's purpose; it is stored in the outbox and picks the template.
type Kind string

// The e-mails the platform sends.
const (
	KindRegistrationReceived Kind = "registration_received" // to the applicant
	KindRegistrationNew      Kind = "registration_new"      // to each admin
	KindActivation           Kind = "activation"            // approval, re-sent credential, CLI-created account
	KindRejected             Kind = "rejected"
	KindPasswordReset        Kind = "password_reset"
	KindPasswordChanged      Kind = "password_changed"
	KindCertificate          Kind = "certificate"
	KindReminder             Kind = "reminder"               // a cohort's reminder to an inactive or overdue learner (texts: cycles catalogs)
	KindCohortMessage        Kind = "cohort_message"         // a trainer's message to every member of a cohort (texts: cycles catalogs)
	KindSecondFactorReset    Kind = "second_factor_reset"    // an admin removed the user's second factor
	KindSSOApproved          Kind = "sso_approved"           // approval of an applicant who signs in through the identity provider
	KindInactivityWarning    Kind = "inactivity_warning"     // retention: the account will be anonymised
	KindFeedback             Kind = "accessibility_feedback" // accessibility feedback, to the operator's contact
)

// AllKinds lists every kind, for start-up checks and tests.
func AllKinds() []Kind {
	return []Kind{KindRegistrationReceived, KindRegistrationNew, KindActivation, KindRejected,
		KindPasswordReset, KindPasswordChanged, KindCertificate, KindReminder, KindCohortMessage, KindSecondFactorReset, KindSSOApproved,
		KindInactivityWarning, KindFeedback}
}

// Message is one e-mail ready for the outbox.
type Message struct {
	To, ToName string
	Lang       i18n.Lang
	Kind       string
	Subject    string
	Body       string
	MessageKey string // random part of the Message-ID, made by Enqueue
	// Public is set for mail that a public form causes (registration, password reset, a new
	// activation link, accessibility feedback, a first sign-in through the identity provider):
	// only such mail counts against the hourly cap (Outbox.PublicSince, --mail-hourly-cap).
	Public bool
}

// Data fills the templates. Name and Email are the recipient's, except for KindRegistrationNew,
// where they describe the applicant and the caller addresses the message to each admin.
type Data struct {
	Name         string
	Email        string
	Organisation string
	Position     string
	Link         string // the one link the mail is about (activation, reset, verification, ...)
	Reason       string // why a registration was rejected
	Module       string // module (or programme) title on a certificate
	BaseURL      string // e.g. https://saferspaces.example.org; a trailing slash is dropped
	Platform     string // defaults to "saferspaces"
	Contact      string // the operator's contact address (--contact-email), named in the footer
	Date         string // a date the mail is about, already formatted (the anonymisation date of a warning)
	Message      string // a message someone wrote (accessibility feedback, a trainer's message to the cohort)
	Cohort       string // the cohort a reminder or message is about
	Due          string // the cohort's due date, already written in the recipient's language; "" if none
	Progress     string // the recipient's programme progress, e.g. "40 %"
	Sender       string // who wrote the message
}

// Platform is the name that starts every subject.
const Platform = "saferspaces"

// Compose renders the e-mail of the given kind in the given language from the catalogs:
// mail.KIND.subject and mail.KIND.body, followed by mail.footer.
func Compose(kind Kind, lang i18n.Lang, data Data) (Message, error) {
	if !validKind(kind) {
		return Message{}, errs.E(errs.Invalid, "unknown e-mail kind %q", kind)
	}
	if _, ok := i18n.Parse(string(lang)); !ok {
		lang = i18n.Default
	}
	if data.Platform == "" {
		data.Platform = Platform
	}
	data.BaseURL = strings.TrimRight(data.BaseURL, "/")
	if data.Link == "" && data.BaseURL != "" {
		// Links that follow from the base URL alone, so callers need not build them.
		switch kind {
		case KindRegistrationNew:
			data.Link = data.BaseURL + paths.Registrations
		case KindPasswordChanged:
			data.Link = data.BaseURL + paths.Forgot
		case KindSecondFactorReset, KindSSOApproved, KindInactivityWarning:
			data.Link = data.BaseURL + paths.Login
		case KindFeedback:
			data.Link = data.BaseURL + paths.AdminFeedback
		}
	}
	renew := ""
	if data.BaseURL != "" {
		renew = data.BaseURL + paths.ActivationRenew
	}
	switch kind {
	case KindRegistrationNew, KindActivation, KindPasswordReset, KindCertificate:
		// A mail whose whole point is a link is useless without it; fail loudly, not silently.
		if data.Link == "" {
			return Message{}, errs.E(errs.Invalid, "e-mail %s needs a link", kind)
		}
	}
	kv := []any{"Name", data.Name, "Email", data.Email, "Organisation", data.Organisation, "Position", data.Position,
		"Link", data.Link, "Reason", data.Reason, "Module", data.Module, "BaseURL", data.BaseURL, "Platform", data.Platform,
		"Contact", data.Contact, "Date", data.Date, "Message", data.Message, "Renew", renew,
		"Cohort", data.Cohort, "Due", data.Due, "Progress", data.Progress, "Sender", data.Sender}
	key := "mail." + string(kind)
	subject, body, footer := i18n.T(lang, key+".subject", kv...), i18n.T(lang, key+".body", kv...), i18n.T(lang, "mail.footer", kv...)
	for _, s := range []string{subject, body, footer} {
		if strings.HasPrefix(s, "[mail.") {
			return Message{}, fmt.Errorf("e-mail %s in %s: %s is missing from the catalog", kind, lang, s)
		}
	}
	m := Message{
		To:     data.Email,
		ToName: oneLine(data.Name),
		Lang:   lang,
		Kind:   string(kind),
		// A name typed into a form must not be able to add header lines.
		Subject: oneLine(subject),
		Body:    strings.TrimRight(body, " \n") + "\n\n" + strings.TrimRight(footer, " \n") + "\n",
	}
	if kind == KindRegistrationNew || kind == KindFeedback {
		m.To, m.ToName = "", ""
	}
	return m, nil
}

// CheckTemplates renders every kind in every language with sample data, so that a broken template
// stops start-up instead of the first registration.
func CheckTemplates() error {
	sample := Data{Name: "Erika Mustermann", Email: "erika@example.org", Organisation: "Ordnungsamt",
		Position: "Sachbearbeitung", Link: "https://example.org/x", Reason: "Test", Module: "Test",
		BaseURL: "https://example.org", Contact: "kontakt@example.org", Date: "1. Januar 2027", Message: "Test",
		Cohort: "Test", Due: "1. Mai 2026", Progress: "40 %", Sender: "Test"}
	for _, k := range AllKinds() {
		for _, lang := range i18n.Languages() {
			if _, err := Compose(k, lang, sample); err != nil {
				return err
			}
		}
	}
	return nil
}

func validKind(k Kind) bool { return slices.Contains(AllKinds(), k) }

// oneLine collapses all whitespace, including line breaks, into single spaces.
func oneLine(s string) string {
	// Breaks and ordinary blanks only: the no-break spaces of French typography ("saferspaces :")
	// stay what they are.
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f', 0x85, 0x2028, 0x2029:
			return true
		}
		return false
	}), " ")
}
