// Package errs gives every failure a kind and a stable machine code, so that one mapper can
// turn it into an HTTP problem and internal text never reaches a client.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the transport layer.
type Kind int

const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Forbidden
	Unauthenticated
	RateLimited
	Unavailable
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not_found"
	case Conflict:
		return "conflict"
	case Forbidden:
		return "forbidden"
	case Unauthenticated:
		return "unauthenticated"
	case RateLimited:
		return "rate_limited"
	case Unavailable:
		return "unavailable"
	default:
		return "internal"
	}
}

// FieldError names one offending input field.
type FieldError struct {
	Field   string `json:"location"`
	Message string `json:"message"`
}

// Error is the domain error. Code is stable and documented; Detail is safe to show a client;
// Err is the internal cause and is only logged.
type Error struct {
	Kind       Kind
	Code       string
	Detail     string
	Fields     []FieldError
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Detail, e.Err)
	}
	return e.Code + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match on kind and code, so sentinel values work across wrapping.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Code == e.Code
}

// New returns an error of the given kind and code.
func New(kind Kind, code, detail string) *Error {
	return &Error{Kind: kind, Code: code, Detail: detail}
}

// Wrap attaches an internal cause to a new domain error.
func Wrap(err error, kind Kind, code, detail string) *Error {
	return &Error{Kind: kind, Code: code, Detail: detail, Err: err}
}

// Invalidf is a validation failure with field details.
func Invalidf(code, detail string, fields ...FieldError) *Error {
	return &Error{Kind: Invalid, Code: code, Detail: detail, Fields: fields}
}

// InvalidFields is the validation failure for the given fields: code validation_failed, the
// one detail text every such problem carries.
func InvalidFields(fields ...FieldError) *Error {
	return &Error{Kind: Invalid, Code: "validation_failed", Detail: "the request has invalid fields", Fields: fields}
}

// Field is shorthand for a FieldError.
func Field(name, msg string) FieldError { return FieldError{Field: name, Message: msg} }

// As returns the domain error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf returns the kind of err; errors that are not domain errors are Internal.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// Validation collects field errors and turns them into one Invalid error.
type Validation struct{ fields []FieldError }

// Check records msg against field when ok is false.
func (v *Validation) Check(ok bool, field, msg string) {
	if !ok {
		v.fields = append(v.fields, FieldError{Field: field, Message: msg})
	}
}

// Add records a field error.
func (v *Validation) Add(field, msg string) { v.fields = append(v.fields, FieldError{field, msg}) }

// Err returns nil when nothing failed.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return InvalidFields(v.fields...)
}
