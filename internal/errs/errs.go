// Package errs holds kyojo's one error type: a stable code, a message that is
// safe to show to the person who caused it, the field it is about, and the
// underlying error for the logs.
//
// Every layer returns *Error (or wraps one with %w); the HTTP adapters map the
// code to a status in one table and render RFC 9457 problem details. Test for
// a kind of failure with Is, for example errs.Is(err, errs.NotFound).
package errs

import (
	"errors"
	"fmt"
)

// Code classifies a failure. Codes are stable: clients and tests match on them.
type Code string

// The codes. Each maps to one HTTP status in the adapters.
const (
	Malformed       Code = "malformed"       // input cannot be parsed: bad JSON, unknown fields, wrong types (400)
	Invalid         Code = "invalid"         // input parses but breaks a rule (422)
	NotFound        Code = "not_found"       // the thing does not exist or the caller may not know it does (404)
	Conflict        Code = "conflict"        // a duplicate name or a concurrent change (409)
	Unauthenticated Code = "unauthenticated" // no, a wrong, an expired or a revoked credential (401)
	Forbidden       Code = "forbidden"       // authenticated, but the policy says no (403)
	TooLarge        Code = "too_large"       // a body or a field over its limit (413)
	RateLimited     Code = "rate_limited"    // too many attempts; retry later (429)
	Unavailable     Code = "unavailable"     // overloaded or a dependency is down; retry later (503)
	Unsupported     Code = "unsupported"     // a media type the endpoint does not take (415)
	NotAllowed      Code = "not_allowed"     // a method the path does not take; the caller sets Allow (405)
	Internal        Code = "internal"        // a bug or an unexpected failure; details only in the logs (500)
)

// Error is kyojo's error. Message is shown to users; Err is logged, never shown.
type Error struct {
	Code    Code
	Field   string // the input field or location the error is about, e.g. "contacts[1].email"; may be empty
	Message string // human-readable, safe to show
	Err     error  // the cause, for logs and errors.Is/As; may be nil
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Field != "" {
		s += " " + e.Field
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an error with a code and a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// F builds an error about one input field.
func F(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap marks err as an internal failure of op; the message shown is "internal error".
// A nil err gives nil. An err that already carries a kyojo code keeps it.
func Wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	var ke *Error
	if errors.As(err, &ke) {
		return err
	}
	return &Error{Code: Internal, Message: "internal error", Err: fmt.Errorf("%s: %w", op, err)}
}

// CodeOf returns the code of the first *Error in err's chain, Internal when
// there is none, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var ke *Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// List collects several field errors found in one pass over an input, so a
// form or API client learns of all of them at once.
type List []*Error

// Add appends a field error.
func (l *List) Add(code Code, field, format string, args ...any) {
	*l = append(*l, F(code, field, format, args...))
}

// Err returns nil when the list is empty, the single error when there is
// one, and otherwise an Invalid error whose Err is the list.
func (l List) Err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return &Error{Code: l[0].Code, Field: l[0].Field, Message: l[0].Message, Err: l}
}

func (l List) Error() string {
	s := ""
	for i, e := range l {
		if i > 0 {
			s += "; "
		}
		s += e.Error()
	}
	return s
}

// Fields returns every field error in err: the list's members when err wraps
// a List, else the single *Error.
func Fields(err error) []*Error {
	var l List
	if errors.As(err, &l) {
		return l
	}
	var ke *Error
	if errors.As(err, &ke) {
		return []*Error{ke}
	}
	return nil
}
