// Package notifydb stores the in-app inbox and the record of outgoing deliveries in PostgreSQL.
package notifydb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/notify"
)

// ErrMessageNotFound is a message that does not exist or is not the caller's.
var ErrMessageNotFound = errs.New(errs.NotFound, "inbox_message_not_found", "the message does not exist")

// Inbox implements notify.InboxStore.
type Inbox struct{ db *dbx.DB }

// New returns the store.
func New(db *dbx.DB) *Inbox { return &Inbox{db: db} }

type messageRow struct {
	ID            uuid.UUID
	RecipientKind string
	RecipientID   uuid.UUID
	Template      string
	Title         string
	Body          string
	Data          []byte
	ReadAt        *time.Time
	CreatedAt     time.Time
}

const messageColumns = `id, recipient_kind, recipient_id, template, title, body, data, read_at, created_at`

func toCore(r messageRow) (notify.InboxMessage, error) {
	m := notify.InboxMessage{ID: r.ID, Recipient: notify.Recipient{Kind: r.RecipientKind, ID: r.RecipientID}, Template: r.Template,
		Title: r.Title, Body: r.Body, ReadAt: r.ReadAt, CreatedAt: r.CreatedAt}
	if len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, &m.Data); err != nil {
			return m, fmt.Errorf("notifydb: message %s data: %w", r.ID, err)
		}
	}
	return m, nil
}

// Locales implements notify.InboxStore.
func (s *Inbox) Locales(ctx context.Context, r notify.Recipient) (own, tenant string, err error) {
	var q string
	switch r.Kind {
	case notify.RecipientUser:
		q = `select x.locale as own, t.locale as tenant from users x join tenants t on t.id = x.tenant_id where x.id = ?`
	case notify.RecipientCustomer:
		q = `select x.locale as own, t.locale as tenant from customers x join tenants t on t.id = x.tenant_id where x.id = ?`
	case notify.RecipientStore:
		q = `select t.locale as own, t.locale as tenant from stores x join tenants t on t.id = x.tenant_id where x.id = ?`
	default:
		return "", "", fmt.Errorf("notifydb: recipient kind %q", r.Kind)
	}
	var row struct{ Own, Tenant string }
	res := s.db.Conn(ctx).Raw(q, r.ID).Scan(&row)
	if res.Error != nil {
		return "", "", dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return "", "", errs.New(errs.NotFound, "recipient_not_found", "the recipient does not exist")
	}
	return row.Own, row.Tenant, nil
}

// Insert implements notify.InboxStore.
func (s *Inbox) Insert(ctx context.Context, m notify.InboxMessage, dedupe string) (bool, error) {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return false, err
	}
	data := m.Data
	if data == nil {
		data = map[string]string{}
	}
	body, err := json.Marshal(data)
	if err != nil {
		return false, err
	}
	var user, customer, store *uuid.UUID
	switch m.Recipient.Kind {
	case notify.RecipientUser:
		user = &m.Recipient.ID
	case notify.RecipientCustomer:
		customer = &m.Recipient.ID
	case notify.RecipientStore:
		store = &m.Recipient.ID
	default:
		return false, fmt.Errorf("notifydb: recipient kind %q", m.Recipient.Kind)
	}
	var key *string
	if dedupe != "" {
		key = &dedupe
	}
	res := s.db.Conn(ctx).Exec(`insert into inbox_messages
		(tenant_id, id, user_id, customer_id, store_id, template, title, body, data, dedupe_key, created_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		on conflict (tenant_id, dedupe_key) do nothing`,
		tenant, m.ID, user, customer, store, m.Template, m.Title, m.Body, string(body), key, m.CreatedAt)
	if res.Error != nil {
		return false, dbx.Err(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// recipients is the SQL condition for messages of any of rs.
func recipients(rs []notify.Recipient) (string, []any) {
	pairs := make([][]any, len(rs))
	for i, r := range rs {
		pairs[i] = []any{r.Kind, r.ID}
	}
	return "(recipient_kind, recipient_id) in ?", []any{pairs}
}

// List implements notify.InboxStore.
func (s *Inbox) List(ctx context.Context, rs []notify.Recipient, unreadOnly bool, p page.Request) (notify.InboxPage, error) {
	var out notify.InboxPage
	if len(rs) == 0 {
		return out, nil
	}
	cond, args := recipients(rs)
	var counts struct{ Total, Unread int64 }
	err := s.db.Conn(ctx).Raw(`select count(*) filter (where ? or read_at is null) as total,
		count(*) filter (where read_at is null) as unread from inbox_messages where `+cond,
		append([]any{!unreadOnly}, args...)...).Scan(&counts).Error
	if err != nil {
		return out, dbx.Err(err)
	}
	out.Total, out.Unread = counts.Total, counts.Unread
	q := `select ` + messageColumns + ` from inbox_messages where ` + cond
	if unreadOnly {
		q += ` and read_at is null`
	}
	var rows []messageRow
	err = s.db.Conn(ctx).Raw(q+` order by created_at desc, id desc limit ? offset ?`, append(args, p.Limit, p.Offset)...).Scan(&rows).Error
	if err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]notify.InboxMessage, 0, len(rows))
	for _, r := range rows {
		m, err := toCore(r)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, m)
	}
	return out, nil
}

// MarkRead implements notify.InboxStore.
func (s *Inbox) MarkRead(ctx context.Context, rs []notify.Recipient, id uuid.UUID, at time.Time) (notify.InboxMessage, error) {
	if len(rs) == 0 {
		return notify.InboxMessage{}, ErrMessageNotFound
	}
	cond, args := recipients(rs)
	var rows []messageRow
	err := s.db.Conn(ctx).Raw(`update inbox_messages set read_at = coalesce(read_at, ?) where id = ? and `+cond+` returning `+messageColumns,
		append([]any{at, id}, args...)...).Scan(&rows).Error
	if err != nil {
		return notify.InboxMessage{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return notify.InboxMessage{}, ErrMessageNotFound
	}
	return toCore(rows[0])
}

// MarkAllRead implements notify.InboxStore.
func (s *Inbox) MarkAllRead(ctx context.Context, rs []notify.Recipient, at time.Time) (int64, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	cond, args := recipients(rs)
	res := s.db.Conn(ctx).Exec(`update inbox_messages set read_at = ? where read_at is null and `+cond, append([]any{at}, args...)...)
	return res.RowsAffected, dbx.Err(res.Error)
}
