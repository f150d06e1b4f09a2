package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
)

// ChannelInbox is the in-app inbox channel; it is ChannelInApp under the name the API uses.
const ChannelInbox = ChannelInApp

// Recipient kinds of an inbox message.
const (
	RecipientUser     = "user"
	RecipientCustomer = "customer"
	RecipientStore    = "store"
)

// Recipient is whose inbox a message lands in. A store's inbox is shared by the staff-side
// users whose scope is that store (store managers, dispatchers); read state is shared too.
type Recipient struct {
	Kind string
	ID   uuid.UUID
}

// ParseRecipient reads an in-app Message.To: "user:<id>", "customer:<id>", "store:<id>", or a
// bare "<id>", which is a staff-side user (what the roster's certificate job sends).
func ParseRecipient(to string) (Recipient, error) {
	kind, id, ok := strings.Cut(to, ":")
	if !ok {
		kind, id = RecipientUser, to
	}
	switch kind {
	case RecipientUser, RecipientCustomer, RecipientStore:
	default:
		return Recipient{}, fmt.Errorf("notify: unknown in-app recipient kind %q", kind)
	}
	u, err := uuid.Parse(id)
	if err != nil || u == uuid.Nil {
		return Recipient{}, fmt.Errorf("notify: in-app recipient %q is not an id", to)
	}
	return Recipient{Kind: kind, ID: u}, nil
}

// String is the Message.To form.
func (r Recipient) String() string { return r.Kind + ":" + r.ID.String() }

// InboxMessage is one message in an inbox.
type InboxMessage struct {
	ID        uuid.UUID
	Recipient Recipient
	Template  string
	Title     string
	Body      string
	Data      map[string]string
	ReadAt    *time.Time
	CreatedAt time.Time
}

// InboxPage is one page of an inbox with its unread count.
type InboxPage struct {
	page.Result[InboxMessage]
	Unread int64
}

// InboxStore keeps inbox messages. Every method runs in the transaction of ctx.
type InboxStore interface {
	// Locales returns the recipient's own locale ("" when unset; a store's is the tenant's,
	// since its readers share it) and the tenant's. A recipient that does not exist is an errs.NotFound.
	Locales(ctx context.Context, r Recipient) (own, tenant string, err error)
	// Insert adds m unless a message with the same dedupe key exists; inserted says which.
	Insert(ctx context.Context, m InboxMessage, dedupe string) (inserted bool, err error)
	// List returns messages of any of rs, newest first, and the unread count of all of them.
	List(ctx context.Context, rs []Recipient, unreadOnly bool, p page.Request) (InboxPage, error)
	// MarkRead marks one message of rs read (keeping an earlier read time); errs.NotFound
	// when it is not theirs.
	MarkRead(ctx context.Context, rs []Recipient, id uuid.UUID, at time.Time) (InboxMessage, error)
	// MarkAllRead marks every unread message of rs read and returns how many.
	MarkAllRead(ctx context.Context, rs []Recipient, at time.Time) (int64, error)
}

// Inbox is the in-app inbox: the Sender of ChannelInbox, and the reading side for its owners.
type Inbox struct {
	db    *dbx.DB
	store InboxStore
	clk   clock.Clock
}

// NewInbox returns the inbox.
func NewInbox(db *dbx.DB, store InboxStore, clk clock.Clock) *Inbox {
	return &Inbox{db: db, store: store, clk: clk}
}

// Send stores r in its recipient's inbox, rendered again in the recipient's own locale when
// they chose one (else the message's, else the tenant's; a store always reads the tenant's). The delivery id (the outbox id)
// is the dedupe key, so a redelivered task adds nothing. A recipient that is malformed or
// does not exist never will, so it is not retried.
func (in *Inbox) Send(ctx context.Context, tenantID uuid.UUID, r Rendered) error {
	rcpt, err := ParseRecipient(r.To)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	dedupe := deliveryIDOf(ctx, r)
	ctx = dbx.WithTenant(ctx, tenantID)
	return in.db.InTx(ctx, func(ctx context.Context) error {
		own, tenantLocale, err := in.store.Locales(ctx, rcpt)
		if errs.KindOf(err) == errs.NotFound {
			return fmt.Errorf("notify: inbox recipient %s: %w: %w", rcpt, err, asynq.SkipRetry)
		}
		if err != nil {
			return err
		}
		locale := firstNonEmpty(own, r.Locale, tenantLocale)
		if locale != r.Locale {
			m := r.Message
			m.Locale = locale
			if r, err = Render(m); err != nil {
				return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
			}
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		_, err = in.store.Insert(ctx, InboxMessage{ID: id, Recipient: rcpt, Template: r.Template, Title: r.Subject,
			Body: r.Body, Data: r.Data, CreatedAt: in.clk.Now()}, dedupe)
		return err
	})
}

// List returns a page of the caller's inbox, newest first.
func (in *Inbox) List(ctx context.Context, unreadOnly bool, p page.Request) (InboxPage, error) {
	rs, err := mine(ctx)
	if err != nil {
		return InboxPage{}, err
	}
	var out InboxPage
	err = in.db.InTx(ctx, func(ctx context.Context) error {
		out, err = in.store.List(ctx, rs, unreadOnly, p.Normalize())
		return err
	})
	return out, err
}

// MarkRead marks one of the caller's messages read. Marking it again changes nothing.
func (in *Inbox) MarkRead(ctx context.Context, id uuid.UUID) (InboxMessage, error) {
	rs, err := mine(ctx)
	if err != nil {
		return InboxMessage{}, err
	}
	var out InboxMessage
	err = in.db.InTx(ctx, func(ctx context.Context) error {
		out, err = in.store.MarkRead(ctx, rs, id, in.clk.Now())
		return err
	})
	return out, err
}

// MarkAllRead marks all of the caller's unread messages read and returns how many.
func (in *Inbox) MarkAllRead(ctx context.Context) (int64, error) {
	rs, err := mine(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = in.db.InTx(ctx, func(ctx context.Context) error {
		n, err = in.store.MarkAllRead(ctx, rs, in.clk.Now())
		return err
	})
	return n, err
}

// mine lists the inboxes the caller reads: their own, and a store-scoped user's store's.
func mine(ctx context.Context) ([]Recipient, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, errs.New(errs.Unauthenticated, "unauthenticated", "sign in first")
	}
	switch p.Kind {
	case auth.Customer:
		return []Recipient{{RecipientCustomer, p.SubjectID}}, nil
	case auth.User:
		rs := []Recipient{{RecipientUser, p.SubjectID}}
		if p.Scope == auth.ScopeStore && p.StoreID != uuid.Nil {
			rs = append(rs, Recipient{RecipientStore, p.StoreID})
		}
		return rs, nil
	default:
		return nil, errs.New(errs.Forbidden, "no_inbox", "only users and customers have an inbox")
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
