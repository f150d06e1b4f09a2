package wiring_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbx"
	"doorstep/app/notify"
)

type inboxPage struct {
	Items []struct {
		ID            uuid.UUID
		RecipientKind string `json:"recipient_kind"`
		Template      string
		Title         string
		Body          string
		Data          map[string]string
		Read          bool
	}
	Total  int64
	Unread int64
}

// enqueue sends m for f the way the application does: notify.Enqueue in a transaction, then
// the outbox relay and the worker.
func (e *env) enqueue(f *fixture, m notify.Message) {
	e.t.Helper()
	require.NoError(e.t, e.app.DB.InTx(dbx.WithTenant(context.Background(), f.Tenant.ID), func(ctx context.Context) error {
		return notify.Enqueue(ctx, e.app.Outbox, m)
	}))
}

// waitInbox polls token's inbox until it holds want messages.
func (e *env) waitInbox(token, query string, want int64) inboxPage {
	e.t.Helper()
	var p inboxPage
	require.Eventually(e.t, func() bool {
		p = inboxPage{}
		e.do(http.MethodGet, "/api/v1/me/inbox"+query, token, "", nil).ok(&p)
		return p.Total == want
	}, 15*time.Second, 50*time.Millisecond, "inbox never held %d messages", want)
	return p
}

func TestInboxAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	// The customer reads English; the caller does not know and renders in the tenant's zh-CN.
	require.NoError(t, e.db.Owner.Exec(`update customers set locale = 'en' where tenant_id = ? and id = ?`, f.Tenant.ID, f.CustomerID).Error)
	// Whatever the fixtures sent the customer in-app already (the seeded message, booking
	// notifications), counted from the outbox: everything due now, not future reminders.
	var seeded int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = 'notify:send'
		and payload->'message'->>'channel' = 'inapp' and payload->'message'->>'to' = ?
		and (process_at is null or process_at <= now())`, f.Tenant.ID, "customer:"+f.CustomerID.String()).Scan(&seeded).Error)
	seeded++ // the message inserted directly by seedInbox
	before := e.waitInbox(f.CustomerToken, "", seeded)
	orderID := uuid.NewString()
	e.enqueue(f, notify.Message{Channel: notify.ChannelInbox, To: "customer:" + f.CustomerID.String(), Locale: notify.LocaleZhCN,
		Template: notify.TemplateOrderOnTheWay, Params: map[string]string{notify.ParamBrand: "Alpha", notify.ParamOrderNo: "A-0007",
			notify.ParamStaff: "Liu", notify.ParamMinutes: "12"}, Data: map[string]string{"order_id": orderID}})

	p := e.waitInbox(f.CustomerToken, "", seeded+1)
	require.EqualValues(t, seeded+1, p.Unread)
	got := p.Items[0]
	require.Equal(t, "customer", got.RecipientKind)
	require.Equal(t, notify.TemplateOrderOnTheWay, got.Template)
	require.Equal(t, "On the way", got.Title)
	require.Equal(t, "[Alpha] Liu is on the way and should arrive in about 12 minutes (order A-0007).", got.Body)
	require.Equal(t, map[string]string{"order_id": orderID}, got.Data)
	require.False(t, got.Read)
	require.Equal(t, before.Items[0].ID, p.Items[1].ID, "newest first")

	// Paging and the unread filter.
	var one inboxPage
	e.do(http.MethodGet, "/api/v1/me/inbox?limit=1&offset=1", f.CustomerToken, "", nil).ok(&one)
	require.Len(t, one.Items, 1)
	require.EqualValues(t, seeded+1, one.Total)
	require.Equal(t, p.Items[1].ID, one.Items[0].ID)

	// Nobody else reads or marks it: another customer of the same tenant, the tenant's owner,
	// the other tenant's customer.
	e.do(http.MethodPost, "/api/v1/auth/customer/code", "", f.Host, map[string]any{"phone": "+8613800000077"}).status(http.StatusAccepted)
	var other struct{ Token string }
	e.do(http.MethodPost, "/api/v1/auth/customer/login", "", f.Host, map[string]any{"phone": "+8613800000077",
		"code": e.sent.codeFor(t, "+8613800000077")}).ok(&other)
	for _, token := range []string{other.Token, f.Tokens["owner"], e.B.CustomerToken} {
		var theirs inboxPage
		e.do(http.MethodGet, "/api/v1/me/inbox", token, "", nil).ok(&theirs)
		for _, m := range theirs.Items {
			require.NotEqual(t, got.ID, m.ID)
		}
		e.do(http.MethodPost, "/api/v1/me/inbox/"+got.ID.String()+"/read", token, "", nil).wantProblem(http.StatusNotFound, "inbox_message_not_found")
	}
	e.do(http.MethodPost, "/api/v1/me/inbox/read-all", other.Token, "", nil).ok(nil)
	require.EqualValues(t, seeded+1, e.waitInbox(f.CustomerToken, "", seeded+1).Unread, "another's mark-all leaves this inbox alone")

	// Mark one read (twice: idempotent), then all.
	var read struct {
		Read   bool
		ReadAt *time.Time `json:"read_at"`
	}
	e.do(http.MethodPost, "/api/v1/me/inbox/"+got.ID.String()+"/read", f.CustomerToken, "", nil).ok(&read)
	require.True(t, read.Read)
	first := *read.ReadAt
	e.do(http.MethodPost, "/api/v1/me/inbox/"+got.ID.String()+"/read", f.CustomerToken, "", nil).ok(&read)
	require.True(t, read.ReadAt.Equal(first))
	unread := e.waitInbox(f.CustomerToken, "?unread=true", seeded)
	require.EqualValues(t, seeded, unread.Unread)
	require.Equal(t, before.Items[0].ID, unread.Items[0].ID)
	var marked struct{ Marked int64 }
	e.do(http.MethodPost, "/api/v1/me/inbox/read-all", f.CustomerToken, "", nil).ok(&marked)
	require.EqualValues(t, seeded, marked.Marked)
	require.EqualValues(t, 0, e.waitInbox(f.CustomerToken, "", seeded+1).Unread)

	// Bad input is a 400 with the parameter named.
	r := e.do(http.MethodGet, "/api/v1/me/inbox?limit=0", f.CustomerToken, "", nil).wantProblem(http.StatusBadRequest, "invalid_parameter")
	require.Contains(t, string(r.body), "query.limit")
	r = e.do(http.MethodPost, "/api/v1/me/inbox/not-an-id/read", f.CustomerToken, "", nil).wantProblem(http.StatusBadRequest, "invalid_parameter")
	require.Contains(t, string(r.body), "path.id")
	e.do(http.MethodGet, "/api/v1/me/inbox", "", f.Host, nil).status(http.StatusUnauthorized)
}

// TestInboxStoreMessages: a message to "store:<id>" (as the certificate-expiry job sends) is
// read by the users whose scope is that store, not by its service staff nor by HQ.
func TestInboxStoreMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	e.enqueue(f, notify.Message{Channel: notify.ChannelInbox, To: "store:" + f.FrStoreID.String(), Locale: notify.LocaleEn,
		Template: notify.TemplateOrderCancelled, Params: map[string]string{notify.ParamBrand: "Alpha", notify.ParamOrderNo: "A-0008",
			notify.ParamService: "Deep cleaning", notify.ParamTime: "2031-03-03 10:00", notify.ParamReason: ""}})
	p := e.waitInbox(f.Tokens["store_manager"], "", 1)
	require.Equal(t, "store", p.Items[0].RecipientKind)
	require.Equal(t, "订单已取消", p.Items[0].Title, "a store reads the tenant's language")
	d := e.waitInbox(f.Tokens["dispatcher"], "?unread=true", 1)
	require.Equal(t, p.Items[0].ID, d.Items[0].ID)
	for _, role := range []string{"staff", "hq_admin", "franchisee_owner"} {
		var theirs inboxPage
		e.do(http.MethodGet, "/api/v1/me/inbox", f.Tokens[role], "", nil).ok(&theirs)
		require.Zero(t, theirs.Total, role)
	}
	// Shared read state: the dispatcher reads it for the store.
	e.do(http.MethodPost, "/api/v1/me/inbox/"+p.Items[0].ID.String()+"/read", f.Tokens["dispatcher"], "", nil).ok(nil)
	require.Zero(t, e.waitInbox(f.Tokens["store_manager"], "", 1).Unread)
	e.do(http.MethodPost, "/api/v1/me/inbox/"+p.Items[0].ID.String()+"/read", f.Tokens["staff"], "", nil).status(http.StatusNotFound)
}
