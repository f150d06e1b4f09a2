package notify_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/notify"
	"doorstep/app/notify/notifydb"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// inboxWorld is one tenant (zh-CN) with a customer who chose English, a user who chose
// nothing, a second customer and a store.
type inboxWorld struct {
	d                     *dbtest.DB
	inbox                 *notify.Inbox
	tenant                uuid.UUID
	customer, other, user uuid.UUID
	store                 uuid.UUID
}

func newInboxWorld(t *testing.T) *inboxWorld {
	t.Helper()
	d := dbtest.New(t)
	w := &inboxWorld{d: d, tenant: uuid.Must(uuid.NewV7()), customer: uuid.Must(uuid.NewV7()), other: uuid.Must(uuid.NewV7()),
		user: uuid.Must(uuid.NewV7()), store: uuid.Must(uuid.NewV7())}
	exec := func(q string, args ...any) { require.NoError(t, d.Owner.Exec(q, args...).Error) }
	exec(`insert into tenants (id, slug, name, locale) values (?, 'jiejia', '洁家', 'zh-CN')`, w.tenant)
	exec(`insert into stores (tenant_id, id, code, name, time_zone) values (?, ?, 'S1', '徐汇店', 'Asia/Shanghai')`, w.tenant, w.store)
	exec(`insert into users (tenant_id, id, email, password_hash, store_id) values (?, ?, 'mgr@jiejia.test', 'x', ?)`, w.tenant, w.user, w.store)
	exec(`insert into customers (tenant_id, id, phone, locale) values (?, ?, '+8613800000001', 'en')`, w.tenant, w.customer)
	exec(`insert into customers (tenant_id, id, phone) values (?, ?, '+8613800000002')`, w.tenant, w.other)
	w.inbox = notify.NewInbox(d.Tx, notifydb.New(d.Tx), clock.System{})
	return w
}

func (w *inboxWorld) as(p auth.Principal) context.Context {
	p.TenantID = w.tenant
	return auth.WithPrincipal(dbx.WithTenant(context.Background(), w.tenant), &p)
}

func arrivedMessage(to string) notify.Message {
	return notify.Message{Channel: notify.ChannelInbox, To: to, Locale: "zh-CN", Template: notify.TemplateOrderArrived,
		Params: map[string]string{"Brand": "洁家", "OrderNo": "JJ-0042", "Staff": "刘阿姨"},
		Data:   map[string]string{"order_id": "0196d7a0-0000-7000-8000-000000000042"}}
}

// TestInboxDeliveryIsIdempotent runs notify:send through real Redis and asynq: the message
// lands once in the customer's inbox in the customer's language, and delivering the same task
// (same id) again adds nothing.
func TestInboxDeliveryIsIdempotent(t *testing.T) {
	t.Parallel()
	w := newInboxWorld(t)
	_, ro := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ro.Addr, DB: ro.DB, Username: ro.Username, Password: ro.Password}
	log := slog.New(slog.DiscardHandler)
	mux := jobs.NewServeMux(log, nil, tenant.NewResolver(tenantdb.New(w.d.Tx), "", false))
	notify.NewHandler(w.d.Tx, notify.NewRouter(nil).Route(notify.ChannelInbox, w.inbox), notifydb.NewDeliveries(w.d.Tx)).Register(mux)
	srv := jobs.NewServer(redis, log, 2)
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClient(redis)
	t.Cleanup(func() { _ = client.Close() })
	insp := asynq.NewInspector(redis)
	t.Cleanup(func() { _ = insp.Close() })

	payload, err := json.Marshal(&notify.SendPayload{Meta: jobs.Meta{TenantID: w.tenant}, Message: arrivedMessage("customer:" + w.customer.String())})
	require.NoError(t, err)
	taskID := uuid.NewString()
	deliver := func() {
		_, err := client.Enqueue(asynq.NewTask(notify.TypeSend, payload), asynq.TaskID(taskID), asynq.Retention(time.Hour), asynq.Queue(jobs.QueueDefault))
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			info, err := insp.GetTaskInfo(jobs.QueueDefault, taskID)
			return err == nil && info.State == asynq.TaskStateCompleted
		}, 15*time.Second, 50*time.Millisecond)
	}
	deliver()
	require.NoError(t, insp.DeleteTask(jobs.QueueDefault, taskID))
	deliver() // the relay after a crash, or asynq after a lost ack

	var rows []struct {
		CustomerID uuid.UUID
		Title      string
		Body       string
		Data       string
		DedupeKey  string
	}
	require.NoError(t, w.d.Owner.Raw(`select customer_id, title, body, data::text as data, dedupe_key from inbox_messages`).Scan(&rows).Error)
	require.Len(t, rows, 1, "one row for one task id")
	require.Equal(t, w.customer, rows[0].CustomerID)
	require.Equal(t, "Arrived", rows[0].Title, "rendered again in the customer's own language")
	require.Equal(t, "[洁家] 刘阿姨 has arrived for order JJ-0042.", rows[0].Body)
	require.JSONEq(t, `{"order_id":"0196d7a0-0000-7000-8000-000000000042"}`, rows[0].Data)
	require.Equal(t, taskID, rows[0].DedupeKey)
}

func TestInboxSendLocalesAndRecipients(t *testing.T) {
	t.Parallel()
	w := newInboxWorld(t)
	ctx := context.Background()
	send := func(to, locale string) error {
		m := arrivedMessage(to)
		m.Locale = locale
		r, err := notify.Render(m)
		require.NoError(t, err)
		return w.inbox.Send(ctx, w.tenant, r)
	}
	require.NoError(t, send(w.user.String(), "en"), "a bare id is a user; no own locale: the message's")
	require.NoError(t, send("store:"+w.store.String(), "en"), "a store: the tenant's locale, whatever the message's")
	require.NoError(t, send("customer:"+w.other.String(), ""), "no locale anywhere: the tenant's")

	type row struct{ Kind, Title string }
	var rows []row
	require.NoError(t, w.d.Owner.Raw(`select recipient_kind as kind, title from inbox_messages order by created_at, id`).Scan(&rows).Error)
	require.Equal(t, []row{{"user", "Arrived"}, {"store", "服务人员已到达"}, {"customer", "服务人员已到达"}}, rows)

	for _, to := range []string{"customer:" + uuid.NewString(), "user:" + uuid.NewString(), "store:" + uuid.NewString(), "pigeon:" + w.user.String(), "user:nope"} {
		require.ErrorIs(t, send(to, "zh-CN"), asynq.SkipRetry, to)
	}
}

func TestInboxReadsOnlyOwnMessages(t *testing.T) {
	t.Parallel()
	w := newInboxWorld(t)
	send := func(to string) {
		r, err := notify.Render(arrivedMessage(to))
		require.NoError(t, err)
		require.NoError(t, w.inbox.Send(context.Background(), w.tenant, r))
	}
	for range 3 {
		send("customer:" + w.customer.String())
	}
	send("customer:" + w.other.String())
	send("user:" + w.user.String())
	send("store:" + w.store.String())

	cust := w.as(auth.Principal{Kind: auth.Customer, SubjectID: w.customer, Scope: auth.ScopeSelf})
	res, err := w.inbox.List(cust, false, page.Request{Limit: 2})
	require.NoError(t, err)
	require.EqualValues(t, 3, res.Total)
	require.EqualValues(t, 3, res.Unread)
	require.Len(t, res.Items, 2)
	require.True(t, res.Items[0].CreatedAt.After(res.Items[1].CreatedAt) || res.Items[0].ID.String() > res.Items[1].ID.String(), "newest first")
	newest := res.Items[0]

	read, err := w.inbox.MarkRead(cust, newest.ID)
	require.NoError(t, err)
	require.NotNil(t, read.ReadAt)
	again, err := w.inbox.MarkRead(cust, newest.ID)
	require.NoError(t, err)
	require.True(t, again.ReadAt.Equal(*read.ReadAt), "marking again keeps the first read time")
	res, err = w.inbox.List(cust, true, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Total)
	require.EqualValues(t, 2, res.Unread)
	for _, m := range res.Items {
		require.Nil(t, m.ReadAt)
	}

	other := w.as(auth.Principal{Kind: auth.Customer, SubjectID: w.other, Scope: auth.ScopeSelf})
	_, err = w.inbox.MarkRead(other, newest.ID)
	require.Equal(t, errs.NotFound, errs.KindOf(err), "another customer's message does not exist for them")
	_, err = w.inbox.MarkRead(w.as(auth.Principal{Kind: auth.User, SubjectID: w.customer, Scope: auth.ScopeTenant}), newest.ID)
	require.Equal(t, errs.NotFound, errs.KindOf(err), "a user with the customer's id is not the customer")

	// A store-scoped user reads their own and their store's; a self-scoped one only their own.
	mgr := w.as(auth.Principal{Kind: auth.User, SubjectID: w.user, Scope: auth.ScopeStore, StoreID: w.store})
	res, err = w.inbox.List(mgr, false, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Total)
	self := w.as(auth.Principal{Kind: auth.User, SubjectID: w.user, Scope: auth.ScopeSelf})
	res, err = w.inbox.List(self, false, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 1, res.Total)
	require.Equal(t, notify.RecipientUser, res.Items[0].Recipient.Kind)

	n, err := w.inbox.MarkAllRead(mgr)
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	n, err = w.inbox.MarkAllRead(mgr)
	require.NoError(t, err)
	require.Zero(t, n)
	res, err = w.inbox.List(cust, false, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Unread, "the manager's mark-all did not touch the customer's inbox")
	res, err = w.inbox.List(other, false, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 1, res.Unread)

	_, err = w.inbox.List(w.as(auth.Principal{Kind: auth.Operator}), false, page.Request{})
	require.Equal(t, errs.Forbidden, errs.KindOf(err))
}

func TestRouterRoutesByChannel(t *testing.T) {
	t.Parallel()
	var got []string
	rec := func(name string) notify.Sender {
		return senderFunc(func(_ context.Context, _ uuid.UUID, r notify.Rendered) error {
			got = append(got, name+":"+r.Channel)
			return nil
		})
	}
	r := notify.NewRouter(rec("fallback")).Route(notify.ChannelInbox, rec("inbox")).Route(notify.ChannelEmail, rec("smtp")).Route(notify.ChannelWebhook, nil)
	for _, ch := range []string{notify.ChannelSMS, notify.ChannelEmail, notify.ChannelInApp, notify.ChannelWebhook} {
		require.NoError(t, r.Send(context.Background(), uuid.Nil, notify.Rendered{Message: notify.Message{Channel: ch}}))
	}
	require.Equal(t, []string{"fallback:sms", "smtp:email", "inbox:inapp", "fallback:webhook"}, got)
	require.ErrorIs(t, notify.NewRouter(nil).Send(context.Background(), uuid.Nil, notify.Rendered{Message: notify.Message{Channel: "sms"}}), asynq.SkipRetry)
}

func TestEnqueueChecksInboxRecipient(t *testing.T) {
	t.Parallel()
	w := newInboxWorld(t)
	ob := jobs.NewOutbox(w.d.Tx, clock.System{})
	require.NoError(t, w.d.Tx.InTx(dbx.WithTenant(context.Background(), w.tenant), func(ctx context.Context) error {
		for _, to := range []string{"pigeon:" + w.user.String(), "customer:nope", "store:", uuid.Nil.String()} {
			err := notify.Enqueue(ctx, ob, arrivedMessage(to))
			require.Equal(t, errs.Invalid, errs.KindOf(err), to)
		}
		for _, to := range []string{w.user.String(), "user:" + w.user.String(), "customer:" + w.customer.String(), "store:" + w.store.String()} {
			require.NoError(t, notify.Enqueue(ctx, ob, arrivedMessage(to)), to)
		}
		return nil
	}))
	var n int
	require.NoError(t, w.d.Owner.Raw("select count(*) from outbox").Scan(&n).Error)
	require.Equal(t, 4, n)
}
