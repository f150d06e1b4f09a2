// Package auditdb stores audit entries in PostgreSQL.
package auditdb

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"doorstep/app/audit"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/page"
)

type row struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	At         time.Time
	ActorKind  string
	ActorID    *uuid.UUID
	Action     string
	ObjectType string
	ObjectID   string
	Before     []byte `gorm:"type:jsonb"`
	After      []byte `gorm:"type:jsonb"`
	RequestID  string
}

func (row) TableName() string { return "audit_log" }

// Store implements audit.Store.
type Store struct{ db *dbx.DB }

// New returns a Store.
func New(db *dbx.DB) *Store { return &Store{db: db} }

func (s *Store) Insert(ctx context.Context, e audit.Entry) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	r := row{TenantID: tid, ID: e.ID, At: e.At, ActorKind: e.ActorKind, Action: e.Action,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID, Before: nullJSON(e.Before), After: nullJSON(e.After), RequestID: e.RequestID}
	if e.ActorID != uuid.Nil {
		id := e.ActorID
		r.ActorID = &id
	}
	return dbx.Err(s.db.Conn(ctx).Create(&r).Error)
}

func (s *Store) List(ctx context.Context, f audit.Filter, p page.Request) (page.Result[audit.Entry], error) {
	q := s.db.Conn(ctx).Model(&row{})
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		q = q.Where("object_id = ?", f.ObjectID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.ActorID != uuid.Nil {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	var out page.Result[audit.Entry]
	if err := q.Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []row
	if err := q.Order("at desc, id desc").Limit(p.Limit).Offset(p.Offset).Find(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	for _, r := range rows {
		e := audit.Entry{ID: r.ID, At: r.At, ActorKind: r.ActorKind, Action: r.Action, ObjectType: r.ObjectType,
			ObjectID: r.ObjectID, Before: r.Before, After: r.After, RequestID: r.RequestID}
		if r.ActorID != nil {
			e.ActorID = *r.ActorID
		}
		out.Items = append(out.Items, e)
	}
	return out, nil
}

func nullJSON(b json.RawMessage) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
