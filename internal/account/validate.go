package account

import (
	"errors"
	"fmt"
	"net/mail"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
)

// The gate's field rules are defined once, as validator tags on the structs the gate takes
// (Registration, NewAccount, the cohort and rejection inputs). A broken rule comes back as an
// errs.Field named like the form field (the `field` tag) with the rule's tag as its code: the web
// layer shows its own text for each field, the command line the English message made here.

// Field limits.
const (
	MaxNameLen       = 200
	MaxEmailLen      = 254
	MaxCohortCodeLen = 64
	MaxCohortNameLen = 100
	MaxRejectReason  = 1000
)

var check = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return f.Tag.Get("field") })
	rules := map[string]func(string) bool{
		"mailbox": wellFormedEmail,
		"lang":    func(s string) bool { _, ok := i18n.Parse(s); return ok },
		"role":    func(s string) bool { return Role(s).Valid() },
		"line":    isLine,
		"code":    validCohortCode,
	}
	for tag, ok := range rules {
		_ = v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return ok(fl.Field().String()) })
	}
	return v
}()

// validate checks in against its rules; what summarises the input in the error message.
func validate(in any, what string) error {
	err := check.Struct(in)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return err // nil, or a programming error (an unsupported struct)
	}
	var fields errs.Fields
	for _, fe := range ves {
		fields.Add(fe.Field(), fe.Tag(), describe(fe))
	}
	return fields.Err("%s: %s", what, fields.Messages())
}

// describe says in English what a broken rule asks for, for logs and the command line.
func describe(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min", "max":
		return fmt.Sprintf("must have %s characters", lengthRule(fe))
	case "mailbox":
		return fmt.Sprintf("%q is not a valid e-mail address", clipBytes(fmt.Sprint(fe.Value()), 80))
	case "lang":
		return fmt.Sprintf("%q is not one of the languages %s", clipBytes(fmt.Sprint(fe.Value()), 20), i18n.List())
	case "role":
		return fmt.Sprintf("%q is not one of learner, trainer, admin", clipBytes(fmt.Sprint(fe.Value()), 20))
	case "line":
		return "must be one line of text without control characters, line breaks or direction overrides"
	case "code":
		return fmt.Sprintf("may have up to %d letters, digits, '-' and '_'", MaxCohortCodeLen)
	case "eq":
		return "must be accepted"
	}
	return "is not valid (" + fe.Tag() + ")"
}

// lengthRule spells the length limits of a field: "2 to 200", "at most 1000".
func lengthRule(fe validator.FieldError) string {
	limits := map[string]string{}
	for _, rule := range strings.Split(fieldTag(fe), ",") {
		if k, v, found := strings.Cut(rule, "="); found && (k == "min" || k == "max") {
			limits[k] = v
		}
	}
	switch {
	case limits["min"] != "" && limits["max"] != "":
		return limits["min"] + " to " + limits["max"]
	case limits["max"] != "":
		return "at most " + limits["max"]
	}
	return "at least " + limits["min"]
}

// fieldTag finds the validate tag of the field an error is about.
func fieldTag(fe validator.FieldError) string {
	parts := strings.Split(fe.StructNamespace(), ".")
	if len(parts) < 2 {
		return ""
	}
	for _, t := range []reflect.Type{reflect.TypeOf(Registration{}), reflect.TypeOf(NewAccount{}),
		reflect.TypeOf(CohortInput{}), reflect.TypeOf(rejection{})} {
		if t.Name() == parts[0] {
			if f, ok := t.FieldByName(parts[len(parts)-1]); ok {
				return f.Tag.Get("validate")
			}
		}
	}
	return ""
}

// wellFormedEmail accepts a bare address (no display name, no surrounding text) of at most 254
// bytes, as the outbox can send it.
func wellFormedEmail(s string) bool {
	if s == "" || len(s) > MaxEmailLen {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// isLine accepts one line of valid UTF-8 without control characters and without the invisible
// characters that reorder or hide text (bidi overrides, zero-width joiners): a name typed into a
// form ends up in other people's e-mails and lists, where it must read as what it is.
func isLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return false
		case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069', r == '\u200E', r == '\u200F',
			r == '\u061C', r == '\u2028', r == '\u2029', r == '\uFEFF':
			return false
		}
	}
	return true
}

// validCohortCode: a code is typed by applicants and may end up in links, so it is URL-safe.
func validCohortCode(code string) bool {
	if code == "" {
		return true
	}
	if len(code) > MaxCohortCodeLen {
		return false
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// rejection is an admin's reason for refusing an applicant; it is sent to them.
type rejection struct {
	Reason string `field:"reason" validate:"min=1,max=1000"`
}
