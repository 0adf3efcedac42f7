// Package errs gives errors a kind, so the HTTP layer can map them to a status page in one place
// and log only the unexpected ones.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says what went wrong from the caller's point of view.
type Kind int

const (
	Internal  Kind = iota // a bug or an outage: logged, shown as 500
	NotFound              // the thing does not exist (or the caller may not know it does)
	Invalid               // the input is wrong; Message says how
	Conflict              // the input clashes with existing state (duplicate, stale)
	Forbidden             // the caller may not do this
	TooMany               // throttled
)

// Error is an error with a kind and a message that is safe to show to the user.
type Error struct {
	Kind    Kind
	Message string  // shown to users; never contains secrets
	Err     error   // the cause, for logs
	Fields  []Field // for Invalid input: what is wrong with which field, for forms to show in place
}

// Field is one problem with one input field. Code names the rule that failed ("required", "max",
// "mailbox" …), for the web layer to say it in the reader's language; Message says it in English,
// for logs and the command line. The domain defines the rules once; forms and commands report them.
type Field struct {
	Name    string
	Code    string
	Message string
}

// Fields collects field problems while validating.
type Fields []Field

// Add records that field name broke rule code, which message explains.
func (f *Fields) Add(name, code, message string) {
	*f = append(*f, Field{Name: name, Code: code, Message: message})
}

// Messages lists the problems in English: "name: is required; email: …".
func (f Fields) Messages() string {
	parts := make([]string, len(f))
	for i, p := range f {
		parts[i] = p.Name + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

// Has reports whether field name has a problem.
func (f Fields) Has(name string) bool {
	for _, p := range f {
		if p.Name == name {
			return true
		}
	}
	return false
}

// Err is nil without problems, else an Invalid error carrying them, with the message made of
// format and args (for logs and command lines).
func (f Fields) Err(format string, args ...any) error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: fmt.Sprintf(format, args...), Fields: f}
}

// FieldsOf returns the field problems of the first *Error in err's chain.
func FieldsOf(err error) Fields {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// E makes an error of the given kind with a user-facing message.
func E(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap gives err a kind, keeping it as the cause.
func Wrap(kind Kind, err error, message string) error {
	return &Error{Kind: kind, Message: message, Err: err}
}

// KindOf reports the kind of the first *Error in err's chain; errors without one are Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Message reports the user-facing message of the first *Error in err's chain.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
