package dbx

import (
	"errors"

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
)

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
