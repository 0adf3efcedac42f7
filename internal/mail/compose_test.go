package mail_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/mail"
)

func TestComposeEveryKindAndLanguage(t *testing.T) {
	data := mail.Data{
		Name: "Jürgen Größe", Email: "juergen@example.org", Organisation: "Ordnungsamt Köln",
		Position: "Sachgebietsleitung", Reason: "Keine kommunale Einrichtung", Module: "Risikoanalyse",
		BaseURL: "https://saferspaces.example.org/", Cohort: "Stadt Köln 2026", Due: "30. Juni 2026", Progress: "40 %",
		Message: "Workshop am 12. Mai", Sender: "Tanja Trainer",
	}
	// What each German mail must say, in words a reader would look for (and with real umlauts).
	german := map[mail.Kind]string{
		mail.KindRegistrationReceived: "Nutzungsrechteerklärung ist bei uns eingegangen",
		mail.KindRegistrationNew:      "Ordnungsamt Köln",
		mail.KindActivation:           "72 Stunden gültig",
		mail.KindRejected:             "Begründung:\n\nKeine kommunale Einrichtung",
		mail.KindPasswordReset:        "1 Stunde gültig",
		mail.KindPasswordChanged:      "wurde soeben\ngeändert",
		mail.KindCertificate:          "„Risikoanalyse“",
		mail.KindReminder:             "Ihr Lernfortschritt liegt bei 40 %.\nBitte schließen Sie die Module bis zum 30. Juni 2026 ab.",
		mail.KindCohortMessage:        "Tanja Trainer schreibt Ihnen als Leitung Ihrer Schulung „Stadt Köln 2026“:\n\nWorkshop am 12. Mai",
		mail.KindSecondFactorReset:    "zweiten Faktor neu ein",
		mail.KindSSOApproved:          "Konto Ihrer Organisation",
	}
	english := map[mail.Kind]string{
		mail.KindRegistrationReceived: "An administrator will now review",
		mail.KindRegistrationNew:      "Position:      Sachgebietsleitung",
		mail.KindActivation:           "valid for 72 hours and can be used only once",
		mail.KindRejected:             "Reason:\n\nKeine kommunale Einrichtung",
		mail.KindPasswordReset:        "If you did not request this, you can ignore",
		mail.KindPasswordChanged:      "If you did not change your password, please contact",
		mail.KindCertificate:          "“Risikoanalyse”",
		mail.KindReminder:             "Your progress is 40 %.\nPlease complete the modules by 30. Juni 2026.",
		mail.KindCohortMessage:        "Tanja Trainer, who leads your training “Stadt Köln 2026”, writes:\n\nWorkshop am 12. Mai",
		mail.KindSecondFactorReset:    "you set up the second factor again",
		mail.KindSSOApproved:          "your organisation's account",
	}
	for _, kind := range mail.AllKinds() {
		for _, lang := range append(i18n.Languages(), "xx", "") {
			t.Run(string(kind)+"/"+string(lang), func(t *testing.T) {
				d := data
				// Links the caller passes, or that Compose derives from BaseURL; none for plain notices.
				link := "https://saferspaces.example.org/x/" + string(kind) + "/Zm9vYmFyYmF6cXV4"
				switch kind {
				case mail.KindRegistrationNew:
					d.Link, link = "", "https://saferspaces.example.org/admin/registrations"
				case mail.KindPasswordChanged:
					d.Link, link = "", "https://saferspaces.example.org/password/forgot"
				case mail.KindSecondFactorReset, mail.KindSSOApproved:
					d.Link, link = "", "https://saferspaces.example.org/login"
				case mail.KindRegistrationReceived, mail.KindRejected, mail.KindCohortMessage:
					link = ""
				default:
					d.Link = link
				}
				m, err := mail.Compose(kind, lang, d)
				if err != nil {
					t.Fatal(err)
				}
				wantLang := i18n.OrDefault(string(lang))
				want := map[i18n.Lang]string{"de": german[kind], "en": english[kind]}[wantLang]
				if m.Lang != wantLang || m.Kind != string(kind) {
					t.Errorf("Lang, Kind = %q, %q", m.Lang, m.Kind)
				}
				if prefix := "saferspaces" + i18n.Colon(i18n.Lang(wantLang)) + " "; !strings.HasPrefix(m.Subject, prefix) || len(m.Subject) < len(prefix)+5 {
					t.Errorf("subject %q", m.Subject)
				}
				if strings.ContainsAny(m.Subject, "\r\n") {
					t.Errorf("subject spans lines: %q", m.Subject)
				}
				if !utf8.ValidString(m.Body) || !utf8.ValidString(m.Subject) {
					t.Error("not valid UTF-8")
				}
				if !strings.Contains(m.Body, want) { // other languages: their own words, checked by a reader
					t.Errorf("body lacks %q:\n%s", want, m.Body)
				}
				if link != "" && !strings.Contains(m.Body, "\n\n"+link+"\n\n") {
					t.Errorf("link %s not on a line of its own:\n%s", link, m.Body)
				}
				if strings.Contains(m.Body, "<no value>") || strings.Contains(m.Body, "{{") {
					t.Errorf("unfilled placeholder:\n%s", m.Body)
				}
				if kind == mail.KindRegistrationNew || kind == mail.KindFeedback {
					if m.To != "" || !strings.Contains(m.Body, "juergen@example.org") {
						t.Errorf("admin notice: To = %q (caller addresses admins), body must name the applicant", m.To)
					}
				} else if m.To != "juergen@example.org" || m.ToName != "Jürgen Größe" {
					t.Errorf("To = %q <%s>", m.ToName, m.To)
				}
				if wantLang == "de" && !strings.Contains(m.Body, "Sichere öffentliche Räume") {
					t.Errorf("German body lacks the footer with umlauts:\n%s", m.Body)
				}
			})
		}
	}
}

func TestComposeRefusesBadInput(t *testing.T) {
	if _, err := mail.Compose("newsletter", "de", mail.Data{}); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown kind: err = %v", err)
	}
	for _, k := range []mail.Kind{mail.KindActivation, mail.KindPasswordReset, mail.KindCertificate, mail.KindRegistrationNew} {
		if _, err := mail.Compose(k, "en", mail.Data{Email: "a@example.org"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s without link: err = %v", k, err)
		}
	}
	// A name with a line break must not become a second header line.
	m, err := mail.Compose(mail.KindRegistrationNew, "de", mail.Data{Name: "Eve\r\nBcc: x@evil.example",
		BaseURL: "https://s.example"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject %q", m.Subject)
	}
}

func TestCheckTemplates(t *testing.T) {
	if err := mail.CheckTemplates(); err != nil {
		t.Fatal(err)
	}
}
