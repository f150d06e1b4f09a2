package wiring_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/dispatch"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
	"doorstep/app/wiring"
	"doorstep/jobs"
)

// redisLossLease is the relay's lease in these tests: a task Redis lost is handed to it again
// this long after it was handed over, or after it fell due.
const redisLossLease = 3 * time.Second

// newRedisLossEnv is the real application with a short outbox lease.
func newRedisLossEnv(t *testing.T) *env {
	t.Helper()
	e := newEnvConfig(t, func(c *wiring.Config) { c.RelayLease = redisLossLease }, nil)
	require.Equal(t, redisLossLease, e.app.Cfg.RelayLease)
	return e
}

// loseRedis drops everything in the app's Redis database, as a restart of a Redis without
// persistence does (dev and the old compose ran it so). It also unpauses every queue.
func (e *env) loseRedis(t *testing.T) {
	t.Helper()
	require.NoError(t, e.app.Redis.FlushDB(context.Background()).Err())
}

// pauseCritical stops the worker taking critical tasks (Stripe events), so they wait in Redis.
func (e *env) pauseCritical(t *testing.T) {
	t.Helper()
	insp := asynq.NewInspector(e.app.RedisOpt)
	defer insp.Close()
	require.NoError(t, insp.PauseQueue(jobs.QueueCritical))
}

// waitHandedOver waits until the outbox rows of task type typ whose payload's key is value
// have all been handed to Redis, and returns how many there are.
func (e *env) waitHandedOver(t *testing.T, tenantID uuid.UUID, typ, key, value string) int {
	t.Helper()
	var n int
	require.Eventually(t, func() bool {
		var waiting int
		err := e.db.Owner.Raw(`select count(*), count(*) filter (where enqueued_at is null) from outbox
			where tenant_id = ? and task_type = ? and payload->>? = ?`, tenantID, typ, key, value).Row().Scan(&n, &waiting)
		return err == nil && n > 0 && waiting == 0
	}, 20*time.Second, 20*time.Millisecond, "%s %s=%s never handed to Redis", typ, key, value)
	return n
}

func eventID(t *testing.T, body []byte) string {
	t.Helper()
	var ev struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &ev))
	return ev.ID
}

// TestRedisLossLosesNoPaidWork: a signed payment_intent.succeeded is recorded and its task
// handed to Redis, but the worker does not get to it (the critical queue is paused) before
// Redis loses everything. Stripe's redelivery (answered "duplicate") queues the unprocessed
// event again, so the payment is booked and the order confirmed within the relay's lease;
// without a redelivery the relay's lease sweep does the same. A card purchase paid the same
// way issues its card. Each is booked once, however often it was queued.
func TestRedisLossLosesNoPaidWork(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	e := newRedisLossEnv(t)
	f := e.A
	setPaymentMode(t, e, f, "prepay", 30)

	// paidOrderLostInRedis delivers a signed success for a new order's payment, waits until
	// its task is in Redis, loses Redis and returns the order, the payment and the event.
	paidOrderLostInRedis := func(t *testing.T) (uuid.UUID, payment.Payment, []byte) {
		id := probeOrder(e, f, booking.PendingPayment, false)
		p, err := e.app.Payment.StartPayment(customerContext(f), id)
		require.NoError(t, err)
		e.pauseCritical(t)
		ev := intentEvent("evt_"+uuid.NewString(), "payment_intent.succeeded", f.Tenant.ID, p.ID, p.Amount, "card")
		e.deliverSigned(t, ev)
		e.waitHandedOver(t, f.Tenant.ID, payment.TypeWebhook, "event_id", eventID(t, ev))
		require.Equal(t, "pending_payment", e.orderStatus(t, f, id), "the queue is paused")
		e.loseRedis(t)
		return id, p, ev
	}
	booked := func(t *testing.T, id uuid.UUID, p payment.Payment, within time.Duration) {
		require.Eventually(t, func() bool { return e.orderStatus(t, f, id) == "confirmed" }, within, 20*time.Millisecond)
		got := e.paymentRow(t, f, p.ID)
		require.Equal(t, "succeeded", got.Status)
		require.NotEqual(t, uuid.Nil, got.LedgerTxID)
	}
	bookedOnce := func(t *testing.T, id uuid.UUID) {
		var n int
		require.NoError(t, e.db.Owner.Raw(`select count(*) from ledger_transactions where tenant_id = ? and ref_id = ? and kind like 'payment.%'`,
			f.Tenant.ID, id).Scan(&n).Error)
		require.Equal(t, 1, n)
	}

	t.Run("redelivered", func(t *testing.T) {
		id, p, ev := paidOrderLostInRedis(t)
		lost := time.Now()
		code, body := e.deliver(t, ev, gateway.SignTestPayload(ev, testWebhookSecret, time.Now()))
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, `"duplicate":true`, "recorded once; its processing is queued again")
		booked(t, id, p, redisLossLease)
		t.Logf("booked %s after Redis was lost", time.Since(lost).Round(time.Millisecond))
		// The lost task is handed over again after its lease and finds the event processed.
		require.Eventually(t, func() bool {
			return e.countOpen(t, f.Tenant.ID, payment.TypeWebhook, "event_id", eventID(t, ev)) == 0
		}, 3*redisLossLease+5*time.Second, 50*time.Millisecond, "every task of the event finished")
		bookedOnce(t, id)
		// A redelivery of a processed event queues nothing.
		n := e.waitHandedOver(t, f.Tenant.ID, payment.TypeWebhook, "event_id", eventID(t, ev))
		e.deliverSigned(t, ev)
		require.Equal(t, n, e.waitHandedOver(t, f.Tenant.ID, payment.TypeWebhook, "event_id", eventID(t, ev)))
	})

	t.Run("swept", func(t *testing.T) {
		id, p, ev := paidOrderLostInRedis(t)
		lost := time.Now()
		booked(t, id, p, redisLossLease+3*time.Second)
		t.Logf("booked %s after Redis was lost, with no redelivery", time.Since(lost).Round(time.Millisecond))
		require.Equal(t, 1, e.waitHandedOver(t, f.Tenant.ID, payment.TypeWebhook, "event_id", eventID(t, ev)), "the same task, handed over again")
		bookedOnce(t, id)
	})

	t.Run("card purchase", func(t *testing.T) {
		cust := f.CustomerToken
		prod := storedValueProduct(e, f)
		var pu struct {
			ID     uuid.UUID
			Status string
			CardID *uuid.UUID `json:"card_id"`
		}
		e.do(http.MethodPost, "/api/v1/storefront/card-purchases", cust, "", map[string]any{"product_id": prod.ID}).status(http.StatusCreated).ok(&pu)
		var intentID string
		require.NoError(t, e.db.Owner.Raw(`select intent_id from card_purchases where id = ?`, pu.ID).Row().Scan(&intentID))

		e.pauseCritical(t)
		ev := stripeEvent("evt_card_"+uuid.NewString(), "payment_intent.succeeded", map[string]any{
			"id": intentID, "object": "payment_intent", "amount": 100_000, "amount_received": 100_000, "currency": "cny",
			"status": "succeeded", "payment_method_types": []string{"card"},
			"metadata": map[string]string{payment.MetaTenant: f.Tenant.ID.String(), payment.MetaPurpose: string(payment.PurposeCardPurchase),
				payment.MetaRef: pu.ID.String()}})
		e.deliverSigned(t, ev)
		e.waitHandedOver(t, f.Tenant.ID, payment.TypeWebhook, "event_id", eventID(t, ev))
		e.loseRedis(t)
		lost := time.Now()
		code, body := e.deliver(t, ev, gateway.SignTestPayload(ev, testWebhookSecret, time.Now()))
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, `"duplicate":true`)
		require.Eventually(t, func() bool {
			e.do(http.MethodGet, "/api/v1/storefront/card-purchases/"+pu.ID.String(), cust, "", nil).ok(&pu)
			return pu.Status == "succeeded" && pu.CardID != nil
		}, redisLossLease, 20*time.Millisecond, "the card is issued")
		t.Logf("card issued %s after Redis was lost", time.Since(lost).Round(time.Millisecond))
		require.Eventually(t, func() bool {
			return e.countOpen(t, f.Tenant.ID, payment.TypeWebhook, "event_id", eventID(t, ev)) == 0
		}, 3*redisLossLease+5*time.Second, 50*time.Millisecond)
		var cards int
		require.NoError(t, e.db.Owner.Raw(`select count(*) from cards where tenant_id = ? and purchase_id = ?`, f.Tenant.ID, pu.ID).Row().Scan(&cards))
		require.Equal(t, 1, cards)
	})
}

// countOpen counts the unfinished outbox rows of task type typ whose payload's key is value
// (-1 on error: safe inside require.Eventually).
func (e *env) countOpen(_ *testing.T, tenantID uuid.UUID, typ, key, value string) int {
	var n int
	if err := e.db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ? and payload->>? = ? and done_at is null`,
		tenantID, typ, key, value).Scan(&n).Error; err != nil {
		return -1
	}
	return n
}

// TestRedisLossDelayedJobsRunOnTime: a reminder, an unpaid order's auto-cancel and a dispatch
// accept-timeout are scheduled through the services. The app runs on the system clock, so the
// test brings their due times to a few seconds from now in the outbox (standing in for the
// hours that would pass); the relay hands them to Redis ahead of time, and Redis then loses
// everything. Each still runs at its time: not before it is due, and no later than a lease
// after (with some slack for a busy machine).
func TestRedisLossDelayedJobsRunOnTime(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	e := newRedisLossEnv(t)
	f := e.A
	owner := f.Tokens["owner"]

	// Accept timeout: in auto mode the worker assigns a confirmed order and schedules it.
	first := probeOrder(e, f, booking.Confirmed, false)
	d, err := e.app.Booking.Get(hqContext(f), first)
	require.NoError(t, err)
	e.settleDispatch(f, first)
	e.do(http.MethodPut, "/api/v1/stores/"+d.StoreID.String()+"/dispatch-settings", owner, "", map[string]any{"mode": "auto", "pool_size": 3}).status(http.StatusOK)
	assigned := probeOrder(e, f, booking.Confirmed, false)
	var staffID uuid.UUID
	require.Eventually(t, func() bool {
		var s string
		err := e.db.Owner.Raw(`select payload->>'staff_id' from outbox where tenant_id = ? and task_type = ? and payload->>'order_id' = ?`,
			f.Tenant.ID, dispatch.TypeAcceptTimeout, assigned.String()).Row().Scan(&s)
		staffID, _ = uuid.Parse(s)
		return err == nil
	}, 20*time.Second, 50*time.Millisecond, "auto dispatch assigned the order and scheduled its accept timeout")

	// Reminder: confirming a paid order schedules it; auto-cancel: starting to pay does.
	setPaymentMode(t, e, f, "prepay", 30)
	reminded, _ := paidOrder(t, e, f)
	unpaid := probeOrder(e, f, booking.PendingPayment, false)
	_, err = e.app.Payment.StartPayment(customerContext(f), unpaid)
	require.NoError(t, err)
	// Its 30 minutes are up by the time the task runs.
	require.NoError(t, e.db.Owner.Exec(`update orders set created_at = now() - interval '31 minutes' where tenant_id = ? and id = ?`,
		f.Tenant.ID, unpaid).Error)

	type job struct {
		typ   string
		order uuid.UUID
	}
	due := []job{{booking.TypeReminder, reminded}, {payment.TypeAutoCancel, unpaid}, {dispatch.TypeAcceptTimeout, assigned}}
	for _, j := range due {
		res := e.db.Owner.Exec(`update outbox set process_at = now() + interval '4 seconds'
			where tenant_id = ? and task_type = ? and payload->>'order_id' = ? and enqueued_at is null`, f.Tenant.ID, j.typ, j.order.String())
		require.NoError(t, res.Error)
		require.EqualValues(t, 1, res.RowsAffected, "%s of %s: scheduled, and not in Redis yet (after the horizon)", j.typ, j.order)
	}
	for _, j := range due {
		e.waitHandedOver(t, f.Tenant.ID, j.typ, "order_id", j.order.String())
	}
	e.loseRedis(t)

	for _, j := range due {
		var row struct {
			ProcessAt time.Time
			DoneAt    *time.Time
			LastError string
		}
		require.Eventually(t, func() bool {
			err := e.db.Owner.Raw(`select process_at, done_at, last_error from outbox where tenant_id = ? and task_type = ? and payload->>'order_id' = ?
				order by created_at limit 1`, f.Tenant.ID, j.typ, j.order.String()).Scan(&row).Error
			return err == nil && row.DoneAt != nil
		}, 30*time.Second, 50*time.Millisecond, "%s of %s never ran", j.typ, j.order)
		require.Empty(t, row.LastError)
		late := row.DoneAt.Sub(row.ProcessAt)
		t.Logf("%s ran %s after it was due", j.typ, late.Round(time.Millisecond))
		require.GreaterOrEqual(t, late, time.Duration(0), "%s ran before it was due", j.typ)
		require.Less(t, late, redisLossLease+5*time.Second, "%s ran long after its lease", j.typ)
	}

	var reminders int
	require.NoError(t, e.db.Owner.Raw(`select count(*) from order_events where tenant_id = ? and order_id = ? and action = 'remind'`,
		f.Tenant.ID, reminded).Scan(&reminders).Error)
	require.Equal(t, 1, reminders, "the reminder went out once")
	require.Equal(t, "cancelled", e.orderStatus(t, f, unpaid), "the unpaid order was cancelled")
	var offer string
	require.NoError(t, e.db.Owner.Raw(`select status from dispatch_offers where tenant_id = ? and order_id = ? and staff_id = ? and kind = 'auto'
		order by created_at limit 1`, f.Tenant.ID, assigned, staffID).Scan(&offer).Error)
	require.Equal(t, "expired", offer, "the staff member's auto offer timed out")
	ad, err := e.app.Booking.Get(hqContext(f), assigned)
	require.NoError(t, err)
	require.False(t, ad.Assignment != nil && ad.Assignment.StaffID == staffID, "the order was taken from the staff member who did not accept")
}
