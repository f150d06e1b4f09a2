package dbx

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"doorstep/app/kit/errs"
)

// PostgreSQL error codes the application gives meaning to.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeExclusionViolation  = "23P01"
	codeNotNullViolation    = "23502"
	codeSerialization       = "40001"
	codeDeadlock            = "40P01"
	codeInsufficientPriv    = "42501"
	codeInvalidText         = "22P02"
	codeBadEncoding         = "22021" // character_not_in_repertoire: NUL or invalid UTF-8 in text
	codeUntranslatable      = "22P05" // untranslatable_character: \u0000 in jsonb
	codeAdminShutdown       = "57P01"
	codeCrashShutdown       = "57P02"
	codeCannotConnectNow    = "57P03"
	codeTooManyConnections  = "53300"
	classConnection         = "08" // connection_exception and its subclasses
)

// RetryAfter is what a client is told to wait when the database is unreachable: long enough for
// a restart or a fail-over's first attempt, short enough that nobody gives up.
const RetryAfter = 2 * time.Second

// ErrUnavailable is the domain error for a database that cannot be reached: 503 with
// Retry-After and the stable code "unavailable". The driver's error is its cause, for the log.
var ErrUnavailable = &errs.Error{Kind: errs.Unavailable, Code: "unavailable",
	Detail: "the service is temporarily unavailable; retry shortly", RetryAfter: RetryAfter}

// UnavailableBecause is ErrUnavailable with cause as its cause (logged, never shown).
func UnavailableBecause(cause error) *errs.Error {
	e := *ErrUnavailable
	e.Err = cause
	return &e
}

// Unavailable reports whether err says the database could not be reached or dropped the
// connection: a failed connect, a server shutting down or starting up (57P01, 57P02, 57P03),
// too many connections (53300), a connection exception (class 08), a broken socket (network
// error, EOF) or a connection the pool gave up on (driver.ErrBadConn). Query timeouts and
// cancellations are not: they say nothing about the database being down.
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if pe, ok := PgError(err); ok {
		switch pe.Code {
		case codeAdminShutdown, codeCrashShutdown, codeCannotConnectNow, codeTooManyConnections:
			return true
		}
		if strings.HasPrefix(pe.Code, classConnection) {
			return true
		}
		// Any other PostgreSQL error, unless it came while connecting (e.g. the database does
		// not accept connections), is an answer from a working server.
		var ce *pgconn.ConnectError
		return errors.As(err, &ce)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && !ne.Timeout() {
		return true
	}
	// pgx returns the socket's EOF as is when the server closes a connection mid-exchange.
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// PgError returns the PostgreSQL error in err's chain.
func PgError(err error) (*pgconn.PgError, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

func retryable(err error) bool {
	pe, ok := PgError(err)
	return ok && (pe.Code == codeSerialization || pe.Code == codeDeadlock)
}

// Err turns driver errors into domain errors. Constraint names are part of the stable code
// (e.g. "conflict" with detail naming the constraint) so callers can map them further.
// Errors that are already domain errors pass through.
func Err(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return errs.Wrap(err, errs.NotFound, "not_found", "the resource does not exist")
	}
	if Unavailable(err) {
		return UnavailableBecause(err)
	}
	pe, ok := PgError(err)
	if !ok {
		return err
	}
	switch pe.Code {
	case codeUniqueViolation:
		return errs.Wrap(err, errs.Conflict, "already_exists", "a resource with the same unique value exists ("+pe.ConstraintName+")")
	case codeExclusionViolation:
		return errs.Wrap(err, errs.Conflict, "overlap", "the change overlaps an existing one ("+pe.ConstraintName+")")
	case codeForeignKeyViolation:
		return errs.Wrap(err, errs.Invalid, "reference_not_found", "a referenced resource does not exist ("+pe.ConstraintName+")")
	case codeCheckViolation, codeNotNullViolation:
		return errs.Wrap(err, errs.Invalid, "constraint_violated", "the value breaks a rule ("+pe.ConstraintName+")")
	case codeSerialization, codeDeadlock:
		return errs.Wrap(err, errs.Conflict, "retry", "a concurrent change interfered; retry the request")
	case codeInsufficientPriv:
		// Row-level security refused a write: another tenant's row. Say no more than "not found".
		return errs.Wrap(err, errs.NotFound, "not_found", "the resource does not exist")
	case codeInvalidText:
		return errs.Wrap(err, errs.Invalid, "invalid_value", "a value has the wrong format")
	case codeBadEncoding, codeUntranslatable:
		// The request check refuses such text with the field named; this is the backstop for
		// text that reaches the database another way.
		return errs.Wrap(err, errs.Invalid, "invalid_text", "a text value contains a character that cannot be stored (NUL or invalid UTF-8)")
	}
	return err
}

// IsConstraint reports whether err violates the named constraint.
func IsConstraint(err error, name string) bool {
	pe, ok := PgError(err)
	return ok && pe.ConstraintName == name
}

// ErrOr maps a driver error like Err, but a not-found becomes notFound (a domain error with
// its own code, such as store_not_found).
func ErrOr(err, notFound error) error {
	err = Err(err)
	if errs.KindOf(err) == errs.NotFound {
		return notFound
	}
	return err
}
