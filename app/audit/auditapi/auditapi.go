// Package auditapi lets HQ read the audit log.
package auditapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/audit"
	"doorstep/app/kit/httpx"
)

// EntryDTO is one audit entry.
type EntryDTO struct {
	ID         uuid.UUID       `json:"id"`
	At         time.Time       `json:"at"`
	ActorKind  string          `json:"actor_kind"`
	ActorID    *uuid.UUID      `json:"actor_id,omitempty"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	RequestID  string          `json:"request_id,omitempty"`
}

func toDTO(e audit.Entry) EntryDTO {
	d := EntryDTO{ID: e.ID, At: e.At, ActorKind: e.ActorKind, Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
		Before: e.Before, After: e.After, RequestID: e.RequestID}
	if e.ActorID != uuid.Nil {
		id := e.ActorID
		d.ActorID = &id
	}
	return d
}

// Register adds the audit log listing.
func Register(h huma.API, log *audit.Log) {
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/api/v1/audit",
		Summary: "Read the audit log, newest first", Tags: []string{"Audit"}},
		httpx.Access{Audience: httpx.Staff, Permission: "audit:read"}),
		func(ctx context.Context, in *struct {
			httpx.PageQuery
			ObjectType string `query:"object_type" maxLength:"50"`
			ObjectID   string `query:"object_id" maxLength:"100"`
			Action     string `query:"action" maxLength:"100"`
		}) (*httpx.Body[httpx.List[EntryDTO]], error) {
			p := in.Page()
			r, err := log.List(ctx, audit.Filter{ObjectType: in.ObjectType, ObjectID: in.ObjectID, Action: in.Action}, p)
			if err != nil {
				return nil, err
			}
			return &httpx.Body[httpx.List[EntryDTO]]{Body: httpx.ListOf(r, p, toDTO)}, nil
		})
}
