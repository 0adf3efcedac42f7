package config

import (
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Operator is who runs the platform: the facts the imprint (§ 5 DDG), the privacy notice
// (GDPR Art. 13) and the accessibility statement (§ 12b BGG) need, the contact address that is the
// Reply-To of every e-mail and the footer of every page. Every field is one line of text; the
// addresses and links are checked by Validate.
type Operator struct {
	Name            string // --operator-name: the body or association, e.g. "Stadt Musterstadt"
	Representative  string // --operator-representative: who represents it, e.g. "Oberbürgermeisterin Erika Muster"
	Address         string // --operator-address: postal address on one line, e.g. "Marktplatz 1, 12345 Musterstadt"
	Email           string // --contact-email: contact address for everything (Reply-To, footer, feedback)
	Phone           string // --operator-phone: optional
	Register        string // --operator-register: optional register entry, e.g. "Amtsgericht Musterstadt, VR 1234"
	VATID           string // --operator-vat-id: optional
	DPOName         string // --dpo-name: data protection officer (name or office)
	DPOEmail        string // --dpo-email: how to reach the data protection officer
	Authority       string // --supervisory-authority: the data protection supervisory authority
	AuthorityURL    string // --supervisory-authority-url
	Conciliation    string // --conciliation-body: conciliation body for accessibility (§ 16 BGG or the Land's)
	ConciliationURL string // --conciliation-body-url
}

// operatorFlags lists the operator's flags with the field each sets and its description.
func (o *Operator) flags() []struct {
	name, usage string
	p           *string
} {
	return []struct {
		name, usage string
		p           *string
	}{
		{"operator-name", "`name` of the body that runs the platform (imprint, privacy notice, footer, certificates)", &o.Name},
		{"operator-representative", "`person` who represents the operator (imprint)", &o.Representative},
		{"operator-address", "postal `address` of the operator on one line, e.g. \"Marktplatz 1, 12345 Musterstadt\"", &o.Address},
		{"contact-email", "contact `address`: Reply-To of every e-mail, footer of every page, accessibility feedback", &o.Email},
		{"operator-phone", "optional `phone` number of the operator (imprint)", &o.Phone},
		{"operator-register", "optional register `entry`, e.g. \"Amtsgericht Musterstadt, VR 1234\" (imprint)", &o.Register},
		{"operator-vat-id", "optional VAT identification `number` (imprint)", &o.VATID},
		{"dpo-name", "data protection officer (`name` or office) (privacy notice)", &o.DPOName},
		{"dpo-email", "e-mail `address` of the data protection officer (privacy notice)", &o.DPOEmail},
		{"supervisory-authority", "`name` of the data protection supervisory authority (privacy notice)", &o.Authority},
		{"supervisory-authority-url", "web `URL` of the supervisory authority", &o.AuthorityURL},
		{"conciliation-body", "`name` of the conciliation body for accessibility complaints (accessibility statement)", &o.Conciliation},
		{"conciliation-body-url", "web `URL` of the conciliation body", &o.ConciliationURL},
	}
}

// OperatorFlags registers the operator's flags.
func (o *Operator) OperatorFlags(fs *flag.FlagSet) {
	for _, f := range o.flags() {
		fs.StringVar(f.p, f.name, *f.p, f.usage)
	}
}

// Missing lists the flags of the facts the legal pages need that are not set (the optional
// phone, register entry and VAT id are not needed).
func (o *Operator) Missing() []string {
	var out []string
	for _, f := range o.flags() {
		switch f.name {
		case "operator-phone", "operator-register", "operator-vat-id", "operator-representative":
			continue
		}
		if strings.TrimSpace(*f.p) == "" {
			out = append(out, "--"+f.name)
		}
	}
	return out
}

// Complete reports whether every fact the legal pages need is set.
func (o *Operator) Complete() bool { return len(o.Missing()) == 0 }

// Validate checks every set field: one line of text, e-mail fields a bare address, URL fields an
// absolute http(s) URL.
func (o *Operator) Validate() error {
	var errs []error
	for _, f := range o.flags() {
		*f.p = strings.TrimSpace(*f.p)
		v := *f.p
		if v == "" {
			continue
		}
		switch {
		case !oneLine(v):
			errs = append(errs, fmt.Errorf("--%s: must be one line of text without control characters", f.name))
		case len(v) > 300:
			errs = append(errs, fmt.Errorf("--%s: at most 300 bytes", f.name))
		case strings.HasSuffix(f.name, "-email"):
			if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
				errs = append(errs, fmt.Errorf("--%s %q: want a bare e-mail address such as datenschutz@stadt.example", f.name, v))
			}
		case strings.HasSuffix(f.name, "-url"):
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("--%s %q: want an absolute http(s) URL such as https://www.example.org", f.name, v))
			}
		}
	}
	return errors.Join(errs...)
}

// Demo fills every empty field with plausible values of a fictitious town, for serve --demo.
func (o *Operator) Demo() {
	demo := Operator{
		Name:            "Stadt Musterstadt (Demo)",
		Representative:  "Oberbürgermeisterin Erika Mustermann",
		Address:         "Marktplatz 1, 12345 Musterstadt",
		Email:           "kontakt@musterstadt.example",
		Phone:           "+49 123 4567-0",
		DPOName:         "Behördliche Datenschutzbeauftragte der Stadt Musterstadt",
		DPOEmail:        "datenschutz@musterstadt.example",
		Authority:       "Landesbeauftragte für Datenschutz und Informationsfreiheit (Demo)",
		AuthorityURL:    "https://datenschutz.musterland.example",
		Conciliation:    "Schlichtungsstelle nach dem Behindertengleichstellungsgesetz",
		ConciliationURL: "https://www.schlichtungsstelle-bgg.de",
	}
	mine, theirs := o.flags(), demo.flags()
	for i, f := range mine {
		if *f.p == "" {
			*f.p = *theirs[i].p
		}
	}
}

func oneLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}
