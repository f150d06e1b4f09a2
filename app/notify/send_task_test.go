package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/notify"
	"doorstep/app/notify/notifydb"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

var loginCode = notify.Message{
	Channel:  notify.ChannelSMS,
	To:       "+8613812345678",
	Locale:   "zh-CN",
	Template: "login_code",
	Params:   map[string]string{"Brand": "洁家", "Code": "483920", "Minutes": "5"},
}

// TestSendEndToEnd follows a login code from the identity service's transaction to a signed
// webhook: notify.Enqueue in InTx → outbox → Relay → asynq → notify handler → WebhookSender.
func TestSendEndToEnd(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	d := dbtest.New(t)
	_, ro := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ro.Addr, DB: ro.DB, Username: ro.Username, Password: ro.Password}
	tn := uuid.Must(uuid.NewV7())
	require.NoError(t, d.Owner.Exec("insert into tenants (id, slug, name) values (?, 'jiejia', '洁家')", tn).Error)

	const secret = "whsec_e2e"
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)

	ob := jobs.NewOutbox(d.Tx, clock.System{})
	require.NoError(t, d.Tx.InTx(dbx.WithTenant(context.Background(), tn), func(ctx context.Context) error {
		return notify.Enqueue(ctx, ob, loginCode)
	}))
	var outboxID uuid.UUID
	require.NoError(t, d.Owner.Raw("select id from outbox where task_type = ?", notify.TypeSend).Row().Scan(&outboxID))

	client := asynq.NewClient(redis)
	t.Cleanup(func() { _ = client.Close() })
	n, err := jobs.NewRelay(d.Tx, client, log, jobs.RelayOptions{}).RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)

	mux := jobs.NewServeMux(log, nil, tenant.NewResolver(tenantdb.New(d.Tx), "", false))
	notify.NewHandler(d.Tx, notify.NewWebhookSender(hook.URL, secret, hook.Client(), clock.System{}), notifydb.NewDeliveries(d.Tx)).Register(mux)
	srv := jobs.NewServer(redis, log, 2)
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)

	var del delivery
	select {
	case del = <-got:
	case <-time.After(15 * time.Second):
		t.Fatal("the webhook was never called")
	}
	require.NoError(t, notify.VerifySignature(secret, del.header.Get(notify.SignatureHeader), del.body, 5*time.Minute, time.Now()))
	require.ErrorIs(t, notify.VerifySignature("forged", del.header.Get(notify.SignatureHeader), del.body, 5*time.Minute, time.Now()), notify.ErrSignatureInvalid)
	require.Equal(t, outboxID.String(), del.header.Get(notify.DeliveryHeader))
	require.Equal(t, outboxID.String(), del.header.Get(notify.IdempotencyKeyHeader), "the provider gets the delivery id as its idempotency key")

	var msg struct {
		TenantID   uuid.UUID `json:"tenant_id"`
		Channel    string    `json:"channel"`
		To         string    `json:"to"`
		Body       string    `json:"body"`
		DeliveryID string    `json:"delivery_id"`
	}
	require.NoError(t, json.Unmarshal(del.body, &msg))
	require.Equal(t, tn, msg.TenantID)
	require.Equal(t, outboxID.String(), msg.DeliveryID, "and in the signed body")
	require.Equal(t, notify.ChannelSMS, msg.Channel)
	require.Equal(t, loginCode.To, msg.To)
	require.Equal(t, "【洁家】您的登录验证码是 483920，5 分钟内有效。请勿泄露给他人。", msg.Body)

	insp := asynq.NewInspector(redis)
	t.Cleanup(func() { _ = insp.Close() })
	require.Eventually(t, func() bool {
		info, err := insp.GetTaskInfo(jobs.QueueCritical, outboxID.String())
		return err == nil && info.State == asynq.TaskStateCompleted
	}, 10*time.Second, 50*time.Millisecond)
	require.Empty(t, got, "delivered once")
}

func TestSendHandlerSkipsRetryForUnfixablePayloads(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := uuid.Must(uuid.NewV7())
	require.NoError(t, d.Owner.Exec("insert into tenants (id, slug, name) values (?, 'acme', 'Acme')", tn).Error)
	var sent atomic.Int32
	mux := jobs.NewServeMux(slog.New(slog.DiscardHandler), nil, tenant.NewResolver(tenantdb.New(d.Tx), "", false))
	notify.NewHandler(d.Tx, senderFunc(func(context.Context, uuid.UUID, notify.Rendered) error { sent.Add(1); return nil }),
		notifydb.NewDeliveries(d.Tx)).Register(mux)

	payload := func(m notify.Message, deliveryID string) []byte {
		b, err := json.Marshal(&notify.SendPayload{Meta: jobs.Meta{TenantID: tn}, Message: m, DeliveryID: deliveryID})
		require.NoError(t, err)
		return b
	}
	unknown := loginCode
	unknown.Template = "no_such_template"
	for name, body := range map[string][]byte{
		"malformed":        []byte(`{"tenant_id":"` + tn.String() + `","message":`),
		"message not json": []byte(`{"tenant_id":"` + tn.String() + `","message":"hi"}`),
		"nil tenant":       []byte(`{"message":{"channel":"sms","to":"+8613812345678","template":"login_code"}}`),
		"unknown tenant":   []byte(`{"tenant_id":"` + uuid.NewString() + `","message":{"channel":"sms","to":"+8613812345678","template":"login_code"}}`),
		"unknown template": payload(unknown, "d-1"),
		"no delivery id":   payload(loginCode, ""), // outside asynq there is no task id to fall back on
	} {
		t.Run(name, func(t *testing.T) {
			err := mux.ProcessTask(context.Background(), asynq.NewTask(notify.TypeSend, body))
			require.ErrorIs(t, err, asynq.SkipRetry)
		})
	}
	require.Zero(t, sent.Load())

	require.NoError(t, mux.ProcessTask(context.Background(), asynq.NewTask(notify.TypeSend, payload(loginCode, "d-2"))))
	require.Equal(t, int32(1), sent.Load())
}

func TestEnqueueValidates(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tenant := uuid.Must(uuid.NewV7())
	require.NoError(t, d.Owner.Exec("insert into tenants (id, slug, name) values (?, 'acme', 'Acme')", tenant).Error)
	ob := jobs.NewOutbox(d.Tx, clock.System{})

	require.ErrorIs(t, notify.Enqueue(context.Background(), ob, loginCode), jobs.ErrNoTransaction)
	require.NoError(t, d.Tx.InTx(dbx.WithTenant(context.Background(), tenant), func(ctx context.Context) error {
		bad := loginCode
		bad.Channel = "pigeon"
		require.Equal(t, errs.Invalid, errs.KindOf(notify.Enqueue(ctx, ob, bad)))
		bad = loginCode
		bad.Template = "no_such_template"
		require.ErrorIs(t, notify.Enqueue(ctx, ob, bad), notify.ErrUnknownTemplate)
		return nil
	}))
	var n int
	require.NoError(t, d.Owner.Raw("select count(*) from outbox").Scan(&n).Error)
	require.Zero(t, n)
}

type senderFunc func(context.Context, uuid.UUID, notify.Rendered) error

func (f senderFunc) Send(ctx context.Context, tenant uuid.UUID, r notify.Rendered) error {
	return f(ctx, tenant, r)
}
