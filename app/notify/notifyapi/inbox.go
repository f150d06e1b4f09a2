// Package notifyapi exposes the in-app inbox to its owners: staff-side users (their own
// messages and, for store-scoped roles, their store's) and customers. No permission is
// needed beyond being signed in; nobody reads another's inbox.
package notifyapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/httpx"
	"doorstep/app/notify"
)

type api struct{ inbox *notify.Inbox }

// Register adds the inbox operations.
func Register(h huma.API, inbox *notify.Inbox) {
	a := api{inbox: inbox}
	tags := []string{"Inbox"}
	member := httpx.Access{Audience: httpx.Member}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-my-inbox", Method: http.MethodGet, Path: "/api/v1/me/inbox",
		Summary: "Your in-app messages, newest first, with the unread count", Tags: tags}, member), a.list)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "mark-inbox-message-read", Method: http.MethodPost, Path: "/api/v1/me/inbox/{id}/read",
		Summary: "Mark one of your messages read", Tags: tags}, member), a.markRead)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "mark-inbox-all-read", Method: http.MethodPost, Path: "/api/v1/me/inbox/read-all",
		Summary: "Mark all your messages read", Tags: tags}, member), a.markAllRead)
}

// MessageDTO is one inbox message.
type MessageDTO struct {
	ID            uuid.UUID         `json:"id"`
	RecipientKind string            `json:"recipient_kind" enum:"user,customer,store" doc:"store: your store's shared inbox"`
	Template      string            `json:"template" doc:"what kind of message, e.g. order_confirmed"`
	Title         string            `json:"title"`
	Body          string            `json:"body"`
	Data          map[string]string `json:"data" doc:"context such as order_id or link"`
	Read          bool              `json:"read"`
	ReadAt        *time.Time        `json:"read_at,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
}

func toMessageDTO(m notify.InboxMessage) MessageDTO {
	data := m.Data
	if data == nil {
		data = map[string]string{}
	}
	return MessageDTO{ID: m.ID, RecipientKind: m.Recipient.Kind, Template: m.Template, Title: m.Title, Body: m.Body,
		Data: data, Read: m.ReadAt != nil, ReadAt: m.ReadAt, CreatedAt: m.CreatedAt}
}

// InboxDTO is a page of messages with the unread count of the whole inbox.
type InboxDTO struct {
	httpx.List[MessageDTO]
	Unread int64 `json:"unread" doc:"unread messages in the whole inbox, not just this page"`
}

// ListInput is the list query.
type ListInput struct {
	httpx.PageQuery
	Unread bool `query:"unread" doc:"only unread messages"`
}

func (a api) list(ctx context.Context, in *ListInput) (*httpx.Body[InboxDTO], error) {
	p := in.Page()
	res, err := a.inbox.List(ctx, in.Unread, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[InboxDTO]{Body: InboxDTO{List: httpx.ListOf(res.Result, p, toMessageDTO), Unread: res.Unread}}, nil
}

// IDPath is the {id} path parameter.
type IDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

func (a api) markRead(ctx context.Context, in *IDPath) (*httpx.Body[MessageDTO], error) {
	m, err := a.inbox.MarkRead(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[MessageDTO]{Body: toMessageDTO(m)}, nil
}

// MarkedDTO says how many messages were marked read.
type MarkedDTO struct {
	Marked int64 `json:"marked"`
}

func (a api) markAllRead(ctx context.Context, _ *struct{}) (*httpx.Body[MarkedDTO], error) {
	n, err := a.inbox.MarkAllRead(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[MarkedDTO]{Body: MarkedDTO{Marked: n}}, nil
}
