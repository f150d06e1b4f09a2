package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/notify"
	"doorstep/app/notify/notifydb"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// hookReceiver is a real HTTP receiver standing in for an SMS gateway: it keeps every request
// it gets, answers 503 to the first failFirst of them, and takes delay over each.
type hookReceiver struct {
	srv       *httptest.Server
	mu        sync.Mutex
	got       []http.Header
	bodies    [][]byte
	failFirst int
	delay     time.Duration
}

func newHookReceiver(t *testing.T, failFirst int, delay time.Duration) *hookReceiver {
	t.Helper()
	h := &hookReceiver{failFirst: failFirst, delay: delay}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		time.Sleep(h.delay)
		h.mu.Lock()
		h.got = append(h.got, r.Header.Clone())
		h.bodies = append(h.bodies, body)
		n := len(h.got)
		h.mu.Unlock()
		if n <= h.failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) requests() []http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]http.Header(nil), h.got...)
}

// deliveryWorld is a tenant in a test database, a webhook receiver and a mux with the notify
// handler sending to it through the delivery record.
type deliveryWorld struct {
	d    *dbtest.DB
	tn   uuid.UUID
	hook *hookReceiver
	mux  *asynq.ServeMux
	log  *slog.Logger
}

func newDeliveryWorld(t *testing.T, failFirst int, delay time.Duration) *deliveryWorld {
	t.Helper()
	w := &deliveryWorld{d: dbtest.New(t), tn: uuid.Must(uuid.NewV7()), hook: newHookReceiver(t, failFirst, delay), log: slog.New(slog.DiscardHandler)}
	require.NoError(t, w.d.Owner.Exec("insert into tenants (id, slug, name) values (?, 'jiejia', '洁家')", w.tn).Error)
	w.mux = jobs.NewServeMux(w.log, nil, tenant.NewResolver(tenantdb.New(w.d.Tx), "", false))
	sender := notify.NewWebhookSender(w.hook.srv.URL, "whsec_once", w.hook.srv.Client(), clock.System{})
	notify.NewHandler(w.d.Tx, sender, notifydb.NewDeliveries(w.d.Tx)).Register(w.mux)
	return w
}

// payload is notify:send of the login code for tenant tn; deliveryID is for runs outside asynq.
func payload(t *testing.T, tn uuid.UUID, deliveryID string) []byte {
	t.Helper()
	b, err := json.Marshal(&notify.SendPayload{Meta: jobs.Meta{TenantID: tn}, Message: loginCode, DeliveryID: deliveryID})
	require.NoError(t, err)
	return b
}

// record is a delivery's row, read as the owner.
type record struct {
	Status   string
	Attempts int
	SentAt   *time.Time
}

func (w *deliveryWorld) record(t *testing.T, tn uuid.UUID, id string) record {
	t.Helper()
	var r record
	require.NoError(t, w.d.Owner.Raw(`select status, attempts, sent_at from notify_deliveries where tenant_id = ? and id = ?`, tn, id).Scan(&r).Error)
	return r
}

// startWorker gives w a private Redis database with a running worker server; newClient
// returns a new asynq client on it.
func (w *deliveryWorld) startWorker(t *testing.T) (rc *goredis.Client, newClient func() *asynq.Client, insp *asynq.Inspector) {
	t.Helper()
	rc, ro := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ro.Addr, DB: ro.DB, Username: ro.Username, Password: ro.Password}
	srv := jobs.NewServer(redis, w.log, 4)
	require.NoError(t, srv.Start(w.mux))
	t.Cleanup(srv.Shutdown)
	newClient = func() *asynq.Client {
		c := asynq.NewClient(redis)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	insp = asynq.NewInspector(redis)
	t.Cleanup(func() { _ = insp.Close() })
	return rc, newClient, insp
}

// enqueueAndWait enqueues notify:send under task id and waits until asynq completes it.
func enqueueAndWait(t *testing.T, client *asynq.Client, insp *asynq.Inspector, body []byte, id string) {
	t.Helper()
	_, err := client.Enqueue(asynq.NewTask(notify.TypeSend, body), asynq.TaskID(id), asynq.Queue(jobs.QueueCritical), asynq.Retention(time.Hour))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := insp.GetTaskInfo(jobs.QueueCritical, id)
		return err == nil && info.State == asynq.TaskStateCompleted
	}, 20*time.Second, 50*time.Millisecond)
}

// TestSendTwiceWithSameIDSendsOnce runs one delivery through real Redis and asynq, loses Redis
// (FLUSHDB, as a restart without persistence does) and has the relay's re-enqueue run it again
// by the same task id: the receiver gets it once, with the delivery id as Idempotency-Key.
func TestSendTwiceWithSameIDSendsOnce(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t, 0, 0)
	rc, newClient, insp := w.startWorker(t)
	id := uuid.Must(uuid.NewV7()).String() // an outbox id
	body := payload(t, w.tn, "")

	enqueueAndWait(t, newClient(), insp, body, id)
	got := w.hook.requests()
	require.Len(t, got, 1)
	require.Equal(t, id, got[0].Get(notify.IdempotencyKeyHeader))
	require.Equal(t, id, got[0].Get(notify.DeliveryHeader))
	r := w.record(t, w.tn, id)
	require.Equal(t, "sent", r.Status)
	require.Equal(t, 1, r.Attempts)
	require.NotNil(t, r.SentAt)

	require.NoError(t, rc.FlushDB(context.Background()).Err())
	// A new client: an asynq client remembers which queues it registered in Redis and would
	// not register the queue again, and the inspector only finds tasks of registered queues.
	enqueueAndWait(t, newClient(), insp, body, id)
	require.Len(t, w.hook.requests(), 1, "the second run found the delivery sent")
	require.Equal(t, 1, w.record(t, w.tn, id).Attempts)
}

// TestSendRetriesAfterProviderFailure: the gateway answers 503 once; asynq's retry sends the
// message again (a failure is not recorded as sent), with the same idempotency key.
func TestSendRetriesAfterProviderFailure(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t, 1, 0)
	_, newClient, insp := w.startWorker(t)
	id := uuid.Must(uuid.NewV7()).String()

	enqueueAndWait(t, newClient(), insp, payload(t, w.tn, ""), id)
	got := w.hook.requests()
	require.Len(t, got, 2, "one failed attempt, one retry")
	for _, h := range got {
		require.Equal(t, id, h.Get(notify.IdempotencyKeyHeader))
	}
	r := w.record(t, w.tn, id)
	require.Equal(t, "sent", r.Status)
	require.Equal(t, 2, r.Attempts)
}

// TestConcurrentRunsOfOneDeliverySendOnce runs the same delivery eight times at once against a
// slow gateway: one run sends, the others find it claimed (a retried error) or already sent;
// a run after them all sends nothing either. The same id in another tenant is another
// delivery.
func TestConcurrentRunsOfOneDeliverySendOnce(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t, 0, 300*time.Millisecond)
	const id = "0196d7a0-0000-7000-8000-00000000c0de"
	body := payload(t, w.tn, id)

	const runs = 8
	errs := make([]error, runs)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = w.mux.ProcessTask(context.Background(), asynq.NewTask(notify.TypeSend, body))
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.ErrorIs(t, err, notify.ErrDeliveryInFlight)
		require.NotErrorIs(t, err, asynq.SkipRetry, "a busy delivery is retried later")
	}
	require.Positive(t, ok)
	require.Len(t, w.hook.requests(), 1)

	require.NoError(t, w.mux.ProcessTask(context.Background(), asynq.NewTask(notify.TypeSend, body)))
	require.Len(t, w.hook.requests(), 1)
	require.Equal(t, "sent", w.record(t, w.tn, id).Status)

	other := uuid.Must(uuid.NewV7())
	require.NoError(t, w.d.Owner.Exec("insert into tenants (id, slug, name) values (?, 'other', 'Other')", other).Error)
	require.NoError(t, w.mux.ProcessTask(context.Background(), asynq.NewTask(notify.TypeSend, payload(t, other, id))))
	require.Len(t, w.hook.requests(), 2, "tenants' deliveries are apart")
	require.Equal(t, "sent", w.record(t, other, id).Status)
}

// TestClaimOfCrashedAttemptExpires stands in for a worker killed after claiming a delivery:
// while its claim lasts, other runs back off (retried); once it has expired, the next run
// takes the delivery over and sends. This is the window the Idempotency-Key is for: had the
// killed worker's request reached the gateway, this is the duplicate it drops.
func TestClaimOfCrashedAttemptExpires(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t, 0, 0)
	const id = "crashed-1"
	require.NoError(t, w.d.Owner.Exec(`insert into notify_deliveries (tenant_id, id, channel, status, claimed_at, lease_until)
		values (?, ?, 'sms', 'sending', now(), now() + interval '1 minute')`, w.tn, id).Error)
	run := func() error {
		return w.mux.ProcessTask(context.Background(), asynq.NewTask(notify.TypeSend, payload(t, w.tn, id)))
	}
	require.ErrorIs(t, run(), notify.ErrDeliveryInFlight)
	require.Empty(t, w.hook.requests())

	require.NoError(t, w.d.Owner.Exec(`update notify_deliveries set lease_until = now() - interval '1 second' where id = ?`, id).Error)
	require.NoError(t, run())
	require.Len(t, w.hook.requests(), 1)
	r := w.record(t, w.tn, id)
	require.Equal(t, "sent", r.Status)
	require.Equal(t, 2, r.Attempts)
}

// TestFailedSendIsNotRecordedAsSent: a failure the gateway reports releases the claim at once
// (no waiting out the lease), and the next run sends.
func TestFailedSendIsNotRecordedAsSent(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t, 1, 0)
	const id = "fails-once"
	run := func() error {
		return w.mux.ProcessTask(context.Background(), asynq.NewTask(notify.TypeSend, payload(t, w.tn, id)))
	}
	err := run()
	require.ErrorContains(t, err, "503")
	require.False(t, errors.Is(err, notify.ErrDeliveryInFlight))
	require.Equal(t, "failed", w.record(t, w.tn, id).Status)
	require.NoError(t, run())
	require.Len(t, w.hook.requests(), 2)
	require.Equal(t, "sent", w.record(t, w.tn, id).Status)
}

// TestEmailDeliveryOnceWithMessageID sends an e-mail through the test SMTP server twice under
// one delivery id: one message arrives, its Message-ID built from the delivery id.
func TestEmailDeliveryOnceWithMessageID(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := uuid.Must(uuid.NewV7())
	require.NoError(t, d.Owner.Exec("insert into tenants (id, slug, name) values (?, 'fixit', 'Fixit')", tn).Error)
	ms := newMailServer(t, "", "")
	smtpSender, err := notify.NewSMTPSender(notify.SMTPConfig{Addr: ms.addr, From: "no-reply@fixit.example"}, clock.System{})
	require.NoError(t, err)
	mux := jobs.NewServeMux(slog.New(slog.DiscardHandler), nil, tenant.NewResolver(tenantdb.New(d.Tx), "", false))
	notify.NewHandler(d.Tx, smtpSender, notifydb.NewDeliveries(d.Tx)).Register(mux)

	m := loginCode
	m.Channel, m.To, m.Locale = notify.ChannelEmail, "li.lei@example.com", "en"
	const id = "0196d7a0-0000-7000-8000-0000000e3a11"
	body, err := json.Marshal(&notify.SendPayload{Meta: jobs.Meta{TenantID: tn}, Message: m, DeliveryID: id})
	require.NoError(t, err)
	for range 2 {
		require.NoError(t, mux.ProcessTask(context.Background(), asynq.NewTask(notify.TypeSend, body)))
	}
	got := ms.messages()
	require.Len(t, got, 1)
	require.Equal(t, "<"+id+"."+tn.String()+"@fixit.example>", parseMail(t, got[0].data).header.Get("Message-Id"))
}
