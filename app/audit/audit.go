// Package audit records who did what to which object, with the state before and after, in the
// same transaction as the change. The log is append-only: the runtime role cannot update or
// delete its rows.
package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/app/kit/page"
)

// Entry is one audited action.
type Entry struct {
	ID         uuid.UUID
	At         time.Time
	ActorKind  string
	ActorID    uuid.UUID
	Action     string // e.g. "store.update", "customer.phone.read"
	ObjectType string
	ObjectID   string
	Before     json.RawMessage
	After      json.RawMessage
	RequestID  string
}

// Filter narrows a listing.
type Filter struct {
	ObjectType string
	ObjectID   string
	Action     string
	ActorID    uuid.UUID
}

// Store persists entries.
type Store interface {
	Insert(ctx context.Context, e Entry) error
	List(ctx context.Context, f Filter, p page.Request) (page.Result[Entry], error)
}

// Log writes and reads the audit log.
type Log struct {
	db    *dbx.DB
	store Store
}

// New returns a Log.
func New(db *dbx.DB, store Store) *Log { return &Log{db: db, store: store} }

// Record writes an entry in the transaction in ctx (or its own). before and after are
// marshalled to JSON; pass nil when there is no such state.
func (l *Log) Record(ctx context.Context, action, objectType, objectID string, before, after any) error {
	e := Entry{
		ID:         uuid.Must(uuid.NewV7()),
		At:         time.Now(),
		ActorKind:  "system",
		Action:     action,
		ObjectType: objectType,
		ObjectID:   objectID,
		RequestID:  httpx.RequestIDFrom(ctx),
	}
	if p, ok := auth.FromContext(ctx); ok {
		e.ActorKind, e.ActorID = string(p.Kind), p.SubjectID
	}
	var err error
	if e.Before, err = marshal(before); err != nil {
		return err
	}
	if e.After, err = marshal(after); err != nil {
		return err
	}
	return l.db.InTx(ctx, func(ctx context.Context) error { return l.store.Insert(ctx, e) })
}

// List returns entries, newest first.
func (l *Log) List(ctx context.Context, f Filter, p page.Request) (page.Result[Entry], error) {
	var out page.Result[Entry]
	err := l.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = l.store.List(ctx, f, p.Normalize())
		return err
	})
	return out, err
}

func marshal(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "audit_marshal", "could not record the change")
	}
	return b, nil
}
