package wiring_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
	"doorstep/app/org/orgdb"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
	"doorstep/app/payment/gateway/gatewaytest"
	"doorstep/app/payment/paymentdb"
)

// setPaymentMode switches f's tenant to mode (and a timeout) through the service.
func setPaymentMode(t testing.TB, e *env, f *fixture, mode string, timeout int) {
	_, err := e.app.Payment.SetSettings(hqContext(f), payment.Settings{Mode: mode, DepositPercent: 30,
		MethodTypes: []string{"card", "alipay", "wechat_pay"}, UnpaidTimeoutMinutes: timeout})
	require.NoError(t, err)
}

// paidOrder books an order waiting for payment, starts paying it as the customer and settles
// the intent with a signed succeeded event (processed at once).
func paidOrder(t testing.TB, e *env, f *fixture) (uuid.UUID, payment.Payment) {
	id := probeOrder(e, f, booking.PendingPayment, false)
	p, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	e.settleIntent(f, p, "payment_intent.succeeded", "card")
	return id, p
}

func (e *env) orderStatus(t testing.TB, f *fixture, id uuid.UUID) string {
	var s string
	require.NoError(t, e.db.Owner.Raw(`select status from orders where tenant_id = ? and id = ?`, f.Tenant.ID, id).Scan(&s).Error)
	return s
}

func (e *env) paymentRow(t testing.TB, f *fixture, id uuid.UUID) payment.Payment {
	var p payment.Payment
	err := e.app.DB.InTx(dbx.WithTenant(context.Background(), f.Tenant.ID), func(ctx context.Context) (err error) {
		p, err = paymentdb.New(e.app.DB).GetPayment(ctx, id, false)
		return err
	})
	require.NoError(t, err)
	return p
}

func (e *env) balance(t testing.TB, f *fixture, a ledger.Account) int64 {
	b, err := e.app.Ledger.Balance(dbx.WithTenant(context.Background(), f.Tenant.ID), a)
	require.NoError(t, err)
	return b
}

// TestStripeWebhookSignatures: forged, stale, wrongly signed and unsigned deliveries are 400
// webhook_signature_invalid and record nothing; a valid one is recorded once, a duplicate
// delivery is acknowledged without a second record, and the payment and order follow.
func TestStripeWebhookSignatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	setPaymentMode(t, e, f, "prepay", 30)
	id := probeOrder(e, f, booking.PendingPayment, false)
	p, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	require.NotEmpty(t, p.ClientSecret)
	again, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	require.Equal(t, p.ID, again.ID, "starting again returns the same payment")
	require.Equal(t, p.IntentID, again.IntentID, "and the same intent")

	ev := intentEvent("evt_sig_"+uuid.NewString(), "payment_intent.succeeded", f.Tenant.ID, p.ID, p.Amount, "card")
	events := func() int {
		var n int
		require.NoError(t, e.db.Owner.Raw(`select count(*) from payment_webhook_events where tenant_id = ?`, f.Tenant.ID).Scan(&n).Error)
		return n
	}
	before := events()
	forged := []byte(strings.Replace(string(ev), `"amount":`, `"amount":1`, 1))
	for name, c := range map[string]struct {
		body []byte
		sig  string
	}{
		"forged":       {forged, gateway.SignTestPayload(ev, testWebhookSecret, time.Now())},
		"stale":        {ev, gateway.SignTestPayload(ev, testWebhookSecret, time.Now().Add(-6*time.Minute))},
		"wrong secret": {ev, gateway.SignTestPayload(ev, "whsec_someone_else", time.Now())},
		"unsigned":     {ev, ""},
		"garbage":      {ev, "t=1,v1=00"},
	} {
		code, body := e.deliver(t, c.body, c.sig)
		require.Equal(t, http.StatusBadRequest, code, "%s: %s", name, body)
		require.Contains(t, body, `"code":"webhook_signature_invalid"`, name)
	}
	require.Equal(t, before, events(), "refused deliveries record nothing")
	require.Equal(t, "pending", e.paymentRow(t, f, p.ID).Status)

	e.deliverSigned(t, ev)
	code, body := e.deliver(t, ev, gateway.SignTestPayload(ev, testWebhookSecret, time.Now()))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"duplicate":true`)
	require.Equal(t, before+1, events())
	require.Eventually(t, func() bool { return e.orderStatus(t, f, id) == "confirmed" }, 20*time.Second, 50*time.Millisecond)
	got := e.paymentRow(t, f, p.ID)
	require.Equal(t, "succeeded", got.Status)
	require.Equal(t, "card", got.Method)
	require.NotEqual(t, uuid.Nil, got.LedgerTxID)
	tx, err := e.app.Ledger.Get(dbx.WithTenant(context.Background(), f.Tenant.ID), got.LedgerTxID)
	require.NoError(t, err)
	require.Equal(t, "payment.card", tx.Kind)
	// An event for no tenant of ours is acknowledged and dropped.
	stray := intentEvent("evt_stray", "payment_intent.succeeded", uuid.New(), uuid.New(), 100, "card")
	code, body = e.deliver(t, stray, gateway.SignTestPayload(stray, testWebhookSecret, time.Now()))
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"ignored":true`)
}

// scenario is one tenant's set of orders and the Stripe events about them.
type scenario struct {
	orders   []uuid.UUID
	payments []payment.Payment
	events   [][]byte
}

// webhookScenario books four prepaid orders in f, starts their payments and writes the events:
// 0 succeeds by card and is partly refunded in Stripe (created, then succeeded); 1 fails, then
// succeeds by Alipay; 2 only fails; 3 succeeds by WeChat Pay and is refunded in full in Stripe,
// a refund that succeeds and then fails.
func webhookScenario(t testing.TB, e *env, f *fixture) *scenario {
	setPaymentMode(t, e, f, "prepay", 30)
	sc := &scenario{}
	for range 4 {
		id := probeOrder(e, f, booking.PendingPayment, false)
		p, err := e.app.Payment.StartPayment(customerContext(f), id)
		require.NoError(t, err)
		sc.orders, sc.payments = append(sc.orders, id), append(sc.payments, p)
	}
	tn, n := f.Tenant.ID, 0
	evID := func() string { n++; return fmt.Sprintf("evt_%s_%02d", f.Tenant.Slug, n) }
	p := sc.payments
	sc.events = [][]byte{
		intentEvent(evID(), "payment_intent.succeeded", tn, p[0].ID, p[0].Amount, "card"),
		refundEvent(evID(), "refund.created", tn, p[0].ID, "re_"+f.Tenant.Slug+"_0", 3000, "pending", nil),
		refundEvent(evID(), "refund.updated", tn, p[0].ID, "re_"+f.Tenant.Slug+"_0", 3000, "succeeded", nil),
		intentEvent(evID(), "payment_intent.payment_failed", tn, p[1].ID, p[1].Amount, "alipay"),
		intentEvent(evID(), "payment_intent.succeeded", tn, p[1].ID, p[1].Amount, "alipay"),
		intentEvent(evID(), "payment_intent.payment_failed", tn, p[2].ID, p[2].Amount, "card"),
		intentEvent(evID(), "payment_intent.succeeded", tn, p[3].ID, p[3].Amount, "wechat_pay"),
		refundEvent(evID(), "refund.created", tn, p[3].ID, "re_"+f.Tenant.Slug+"_3", p[3].Amount, "pending", nil),
		refundEvent(evID(), "refund.updated", tn, p[3].ID, "re_"+f.Tenant.Slug+"_3", p[3].Amount, "succeeded", nil),
		refundEvent(evID(), "refund.failed", tn, p[3].ID, "re_"+f.Tenant.Slug+"_3", p[3].Amount, "failed", nil),
	}
	return sc
}

// moneyState is what the events decide, made comparable across tenants.
type moneyState struct {
	Orders   []string
	Payments []string
	Refunds  []string
	Ledger   map[string]int64 // delta per owner kind/purpose/asset
}

func ledgerTotals(t testing.TB, e *env, f *fixture) map[string]int64 {
	var rows []struct {
		OwnerKind, Purpose, Asset string
		Balance                   int64
	}
	require.NoError(t, e.db.Owner.Raw(`select owner_kind, purpose, asset, sum(balance) as balance from ledger_accounts where tenant_id = ?
		group by 1, 2, 3`, f.Tenant.ID).Scan(&rows).Error)
	out := map[string]int64{}
	for _, r := range rows {
		out[r.OwnerKind+"/"+r.Purpose+"/"+r.Asset] = r.Balance
	}
	return out
}

func (e *env) moneyState(t testing.TB, f *fixture, sc *scenario, before map[string]int64) moneyState {
	st := moneyState{Ledger: map[string]int64{}}
	for i, id := range sc.orders {
		st.Orders = append(st.Orders, e.orderStatus(t, f, id))
		p := e.paymentRow(t, f, sc.payments[i].ID)
		st.Payments = append(st.Payments, fmt.Sprintf("%d %s %s amount=%d refunded=%d ledger=%v", i, p.Status, p.Method, p.Amount, p.Refunded, p.LedgerTxID != uuid.Nil))
		var rs []struct {
			StripeRefundID, Status, Source string
			Amount                         int64
			Posted, Reversed               bool
		}
		require.NoError(t, e.db.Owner.Raw(`select stripe_refund_id, status, source, amount, ledger_tx_id is not null as posted,
			reversal_tx_id is not null as reversed from refunds where tenant_id = ? and payment_id = ? order by stripe_refund_id`,
			f.Tenant.ID, p.ID).Scan(&rs).Error)
		for _, r := range rs {
			// The ledger's history may differ with the order (a refund seen failing first is never
			// posted; seen succeeding first it is posted, then reversed): what must agree is its
			// net effect, and the balances below.
			st.Refunds = append(st.Refunds, fmt.Sprintf("%d %s %s %s %d in_ledger=%v", i,
				strings.TrimPrefix(r.StripeRefundID, "re_"+f.Tenant.Slug), r.Status, r.Source, r.Amount, r.Posted && !r.Reversed))
		}
	}
	for k, v := range ledgerTotals(t, e, f) {
		if d := v - before[k]; d != 0 {
			st.Ledger[k] = d
		}
	}
	return st
}

// waitProcessed waits until every recorded event of f's tenant is processed.
func (e *env) waitProcessed(t testing.TB, f *fixture, want int) {
	require.Eventually(t, func() bool {
		var n, done int
		e.db.Owner.Raw(`select count(*) from payment_webhook_events where tenant_id = ? and event_id like 'evt\_%\_%'`, f.Tenant.ID).Scan(&n)
		e.db.Owner.Raw(`select count(*) from payment_webhook_events where tenant_id = ? and processed_at is not null`, f.Tenant.ID).Scan(&done)
		var all int
		e.db.Owner.Raw(`select count(*) from payment_webhook_events where tenant_id = ?`, f.Tenant.ID).Scan(&all)
		return n >= want && done == all
	}, 90*time.Second, 100*time.Millisecond)
}

// TestStripeWebhookShuffledConverges: the same events delivered once in order to tenant A and
// one to three times each in shuffled order to tenant B, through the real endpoint and the
// real asynq worker, end in the same payments, refunds, orders and ledger balances.
func TestStripeWebhookShuffledConverges(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	e := newEnv(t)
	inOrder, shuffled := webhookScenario(t, e, e.A), webhookScenario(t, e, e.B)
	beforeA, beforeB := ledgerTotals(t, e, e.A), ledgerTotals(t, e, e.B)

	for _, ev := range inOrder.events {
		e.deliverSigned(t, ev)
		time.Sleep(150 * time.Millisecond) // let each be processed before the next: "in order"
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("shuffle seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 7))
	var deliveries [][]byte
	for _, ev := range shuffled.events {
		for range 1 + rnd.IntN(3) {
			deliveries = append(deliveries, ev)
		}
	}
	rnd.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
	var wg sync.WaitGroup
	for i, ev := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i%4) * 20 * time.Millisecond)
			e.deliverSigned(t, ev)
		}()
	}
	wg.Wait()
	e.waitProcessed(t, e.A, len(inOrder.events))
	e.waitProcessed(t, e.B, len(shuffled.events))

	a, b := e.moneyState(t, e.A, inOrder, beforeA), e.moneyState(t, e.B, shuffled, beforeB)
	t.Logf("in order: %+v", a)
	require.Equal(t, a, b, "shuffled duplicate delivery converges on the in-order state")

	// And the state is the right one.
	p := inOrder.payments
	require.Equal(t, []string{"confirmed", "confirmed", "pending_payment", "confirmed"}, a.Orders)
	require.Equal(t, fmt.Sprintf("1 succeeded alipay amount=%d refunded=0 ledger=true", p[1].Amount), a.Payments[1])
	require.Equal(t, fmt.Sprintf("2 failed  amount=%d refunded=0 ledger=false", p[2].Amount), a.Payments[2])
	require.Equal(t, fmt.Sprintf("0 succeeded card amount=%d refunded=3000 ledger=true", p[0].Amount), a.Payments[0])
	require.Equal(t, fmt.Sprintf("3 succeeded wechat_pay amount=%d refunded=0 ledger=true", p[3].Amount), a.Payments[3])
	require.Len(t, a.Refunds, 2)
	require.Contains(t, a.Refunds[1], "3 _3 failed stripe")
	paid := p[0].Amount + p[1].Amount + p[3].Amount
	cur := e.A.Tenant.Currency
	require.Equal(t, paid-3000, a.Ledger["hq/order_funds/"+cur])
	require.Equal(t, -(paid - 3000), a.Ledger["external/clearing/"+cur])
	mismatches, err := e.app.Ledger.Check(dbx.WithTenant(context.Background(), e.B.Tenant.ID))
	require.NoError(t, err)
	require.Empty(t, mismatches)
}

// faultyPayments is a payment service whose Stripe client times out on rate of its calls.
func faultyPayments(t testing.TB, e *env, rate float64) (*payment.Service, *gatewaytest.FaultyTransport) {
	ft := gatewaytest.NewFaultyTransport(nil, rate, uint64(time.Now().UnixNano()))
	gw := gateway.NewStripe(gateway.StripeConfig{SecretKey: "sk_test_faulty", APIURL: os.Getenv("STRIPE_MOCK_URL"), HTTPClient: &http.Client{Transport: ft}})
	svc := payment.NewService(payment.Deps{DB: e.app.DB, Repo: paymentdb.New(e.app.DB), StoresOf: orgdb.New(e.app.DB).StoresOfFranchisee, Ledger: e.app.Ledger, Gateway: gw, Orders: e.app.Booking,
		Outbox: e.app.Outbox, WebhookSecret: testWebhookSecret, Attempts: 3, Backoff: 5 * time.Millisecond})
	return svc, ft
}

// TestRefundsUnderStripeFaultsNoDoubleRefund: with 20% of Stripe calls timing out (before or
// after Stripe acted), many refunds — some retried by the client with the same
// Idempotency-Key, unanswered ones sent again by the repair sweep — each reach Stripe under
// exactly one idempotency key, with one refund row and one ledger transaction each, and the
// refunded total is what was asked.
func TestRefundsUnderStripeFaultsNoDoubleRefund(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	e := newEnv(t)
	f := e.A
	setPaymentMode(t, e, f, "prepay", 30)
	svc, ft := faultyPayments(t, e, 0.2)
	ctx := hqContext(f)
	type ask struct {
		order, pay uuid.UUID
		amount     int64
		key        string
	}
	var asks []ask
	var want int64
	for range 4 {
		id, p := paidOrder(t, e, f)
		for k := range 10 {
			a := ask{order: id, pay: p.ID, amount: int64(100 + k), key: uuid.NewString()}
			asks = append(asks, a)
			want += a.amount
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[uuid.UUID]bool{}
	for i, a := range asks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := payment.RefundRequest{OrderID: a.order, PaymentID: a.pay, Amount: a.amount, Reason: "fault test", RequestKey: a.key}
			r, err := svc.Refund(ctx, req)
			require.NoError(t, err)
			if i%3 == 0 { // the client did not hear back and retries with the same key
				r2, err := svc.Refund(ctx, req)
				require.NoError(t, err)
				require.Equal(t, r.ID, r2.ID)
			}
			mu.Lock()
			got[r.ID] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.Len(t, got, len(asks), "one refund per request")
	for range 20 { // the repair sweep: unanswered refunds again, same keys
		n, _ := svc.RetryPendingRefunds(f.jobContext(), 0)
		var pending int
		require.NoError(t, e.db.Owner.Raw(`select count(*) from refunds where tenant_id = ? and status = 'pending'`, f.Tenant.ID).Scan(&pending).Error)
		if pending == 0 {
			break
		}
		_ = n
	}
	calls, faults := ft.Stats()
	t.Logf("%d Stripe calls, %d faults injected", calls, faults)
	require.Positive(t, faults, "faults were injected")

	var rows []struct {
		ID             uuid.UUID
		IdempotencyKey string
		Amount         int64
		Status         string
		StripeRefundID string
		Txs            int
	}
	require.NoError(t, e.db.Owner.Raw(`select f.id, f.idempotency_key, f.amount, f.status, f.stripe_refund_id,
		(select count(*) from ledger_transactions x where x.tenant_id = f.tenant_id and x.ref_kind = 'refund' and x.ref_id = f.id) as txs
		from refunds f where f.tenant_id = ? and f.source = 'api' and f.reason = 'fault test'`, f.Tenant.ID).Scan(&rows).Error)
	require.Len(t, rows, len(asks), "one refund row per request")
	reached := ft.Reached()
	refundKeys := map[string]bool{}
	for k, n := range reached {
		if strings.HasPrefix(k, "POST /v1/refunds ") {
			refundKeys[strings.TrimPrefix(k, "POST /v1/refunds ")] = true
			require.Positive(t, n)
		}
	}
	var total int64
	for _, r := range rows {
		require.Equal(t, "succeeded", r.Status, "refund %s", r.ID)
		require.NotEmpty(t, r.StripeRefundID)
		require.Equal(t, 1, r.Txs, "one ledger transaction for refund %s", r.ID)
		require.True(t, refundKeys[r.IdempotencyKey], "refund %s reached Stripe under its own key", r.ID)
		total += r.Amount
	}
	require.Len(t, refundKeys, len(rows), "no refund reached Stripe under a second key")
	require.Equal(t, want, total)
	var refunded int64
	require.NoError(t, e.db.Owner.Raw(`select sum(refunded) from payments where tenant_id = ? and id in (select payment_id from refunds where tenant_id = ? and reason = 'fault test')`,
		f.Tenant.ID, f.Tenant.ID).Scan(&refunded).Error)
	require.Equal(t, want, refunded)
	ms, err := e.app.Ledger.Check(dbx.WithTenant(context.Background(), f.Tenant.ID))
	require.NoError(t, err)
	require.Empty(t, ms)
}

// TestConcurrentRefundsNeverExceedPaid: 24 concurrent refunds of an eighth of a payment through
// the API: exactly eight succeed, the rest are 409 refund_exceeds_paid.
func TestConcurrentRefundsNeverExceedPaid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	setPaymentMode(t, e, f, "prepay", 30)
	id, p := paidOrder(t, e, f)
	require.Zero(t, p.Amount%8, "the test divides the payment in eight")
	part := p.Amount / 8
	funds := ledger.HQ().Account(ledger.OrderFunds, f.Tenant.Currency)
	before := e.balance(t, f, funds)
	var wg sync.WaitGroup
	codes := make([]int, 24)
	problems := make([]string, 24)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do(http.MethodPost, "/api/v1/orders/"+id.String()+"/refunds", f.Tokens["finance"], "", map[string]any{"payment_id": p.ID, "amount": part, "reason": "concurrent"})
			codes[i], problems[i] = r.code, r.problem()
		}()
	}
	wg.Wait()
	ok := 0
	for i, c := range codes {
		if c == http.StatusCreated {
			ok++
			continue
		}
		require.Equal(t, http.StatusConflict, c, problems[i])
		require.Contains(t, []string{"refund_exceeds_paid", "retry"}, problems[i])
	}
	require.Equal(t, 8, ok)
	got := e.paymentRow(t, f, p.ID)
	require.Equal(t, p.Amount, got.Refunded)
	require.Equal(t, before-p.Amount, e.balance(t, f, funds))
	var out struct {
		Paid, Refunded int64
		Refunds        []struct{ Amount int64 }
	}
	e.do(http.MethodGet, "/api/v1/orders/"+id.String()+"/payments", f.Tokens["support"], "", nil).ok(&out)
	require.Equal(t, p.Amount, out.Refunded)
	require.Len(t, out.Refunds, 8)
	// The customer sees their own order's payments too.
	var mine struct{ Paid int64 }
	e.do(http.MethodGet, "/api/v1/storefront/orders/"+id.String()+"/payments", f.CustomerToken, "", nil).ok(&mine)
	require.Equal(t, p.Amount, mine.Paid)
}

// TestAutoCancelUnpaidThroughAsynq: an order still unpaid after the tenant's timeout is
// cancelled by the delayed job (through the outbox and asynq) and its intent cancelled; one
// paid in time is left alone; a payment that arrives after the cancellation is refunded in full.
func TestAutoCancelUnpaidThroughAsynq(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	setPaymentMode(t, e, f, "prepay", 1)
	unpaid := probeOrder(e, f, booking.PendingPayment, false)
	paid := probeOrder(e, f, booking.PendingPayment, false)
	pp, err := e.app.Payment.StartPayment(customerContext(f), paid)
	require.NoError(t, err)
	e.settleIntent(f, pp, "payment_intent.succeeded", "card")
	require.Equal(t, "confirmed", e.orderStatus(t, f, paid))
	// Both were created two minutes ago (past the one-minute timeout).
	require.NoError(t, e.db.Owner.Exec(`update orders set created_at = now() - interval '2 minutes' where tenant_id = ? and id in (?, ?)`,
		f.Tenant.ID, unpaid, paid).Error)
	p, err := e.app.Payment.StartPayment(customerContext(f), unpaid) // schedules the timeout (now overdue)
	require.NoError(t, err)
	require.NoError(t, e.app.Payment.ScheduleAutoCancel(f.jobContext(), paid))
	require.Eventually(t, func() bool { return e.orderStatus(t, f, unpaid) == "cancelled" }, 30*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool { return e.paymentRow(t, f, p.ID).Status == "canceled" }, 30*time.Second, 50*time.Millisecond)
	var jobs int
	require.NoError(t, e.db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ?`, f.Tenant.ID, payment.TypeAutoCancel).Scan(&jobs).Error)
	require.GreaterOrEqual(t, jobs, 2, "the timeout went through the outbox")
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, "confirmed", e.orderStatus(t, f, paid), "a paid order is not cancelled")

	// The customer paid at the last second: the success arrives after the cancellation.
	e.settleIntent(f, p, "payment_intent.succeeded", "card")
	require.Equal(t, "succeeded", e.paymentRow(t, f, p.ID).Status)
	require.Eventually(t, func() bool {
		var st string
		e.db.Owner.Raw(`select status from refunds where tenant_id = ? and payment_id = ? and source = 'late_payment'`, f.Tenant.ID, p.ID).Scan(&st)
		return st == "succeeded"
	}, 30*time.Second, 50*time.Millisecond)
	require.Equal(t, p.Amount, e.paymentRow(t, f, p.ID).Refunded)
}

// TestPayAfterServiceCashStoredValueAndCancellation: cash recorded by the staff member and
// confirmed by the customer posts payment.cash; stored value pays (payment.stored_value) or is
// refused with 409 insufficient_balance; a customer cancelling a prepaid order late gets back
// the total less the fee.
func TestPayAfterServiceCashStoredValueAndCancellation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cur := f.Tenant.Currency
	// Bad input is a 4xx problem and writes nothing.
	owner := f.Tokens["owner"]
	var set0 map[string]any
	e.do(http.MethodGet, "/api/v1/payment/settings", owner, "", nil).ok(&set0)
	for _, body := range []map[string]any{
		{"payment_mode": "prepay", "deposit_percent": 30, "method_types": []string{"card", "card"}, "unpaid_timeout_minutes": 30},
		{"payment_mode": "prepay", "deposit_percent": 0, "method_types": []string{"card"}, "unpaid_timeout_minutes": 30},
		{"payment_mode": "later", "deposit_percent": 30, "method_types": []string{"card"}, "unpaid_timeout_minutes": 30},
		{"payment_mode": "prepay", "deposit_percent": 30, "method_types": []string{"paypal"}, "unpaid_timeout_minutes": 30},
		{"payment_mode": "prepay", "deposit_percent": 30, "method_types": []string{"card"}, "unpaid_timeout_minutes": 0},
	} {
		e.do(http.MethodPut, "/api/v1/payment/settings", owner, "", body).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	}
	var set1 map[string]any
	e.do(http.MethodGet, "/api/v1/payment/settings", owner, "", nil).ok(&set1)
	require.Equal(t, set0, set1)
	o := paymentOf(f)
	refunds := "/api/v1/orders/" + o.PaidOrderID.String() + "/refunds"
	e.do(http.MethodPost, refunds, owner, "", map[string]any{"payment_id": o.PaymentID, "amount": 0, "reason": "x"}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	e.do(http.MethodPost, refunds, owner, "", map[string]any{"payment_id": o.PaymentID, "amount": 1, "reason": ""}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	e.do(http.MethodPost, refunds, owner, "", map[string]any{"payment_id": o.PaymentID, "amount": 1 << 40, "reason": "x"}).wantProblem(http.StatusConflict, "refund_exceeds_paid")
	e.do(http.MethodPost, refunds, owner, "", map[string]any{"payment_id": o.CashPaymentID, "amount": 1, "reason": "x"}).wantProblem(http.StatusNotFound, "payment_not_found")
	e.do(http.MethodPost, "/api/v1/orders/"+o.CashOrderID.String()+"/refunds", owner, "", map[string]any{"payment_id": o.CashPaymentID, "amount": 1, "reason": "x"}).
		wantProblem(http.StatusConflict, "payment_not_refundable")
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+bookingOf(f).OrderID.String()+"/payment", f.CustomerToken, "", nil).wantProblem(http.StatusConflict, "payment_not_due")
	e.do(http.MethodPost, "/api/v1/me/jobs/"+bookingOf(f).OrderID.String()+"/cash", f.Tokens["staff"], "", map[string]any{"amount": 1}).wantProblem(http.StatusNotFound, "order_not_found")
	var none int
	require.NoError(t, e.db.Owner.Raw(`select count(*) from refunds where tenant_id = ? and reason = 'x'`, f.Tenant.ID).Scan(&none).Error)
	require.Zero(t, none)

	// Cash, on a job f's staff member served.
	r := e.do(http.MethodPost, "/api/v1/me/jobs/"+o.CashOrderID.String()+"/cash", f.Tokens["staff"], "", map[string]any{"amount": 100})
	r.wantProblem(http.StatusConflict, "cash_already_recorded")
	var confirmed struct{ Status, Method string }
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+o.CashOrderID.String()+"/payments/"+o.CashPaymentID.String()+"/confirm-cash", f.CustomerToken, "", nil).ok(&confirmed)
	require.Equal(t, "succeeded", confirmed.Status)
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+o.CashOrderID.String()+"/payments/"+o.CashPaymentID.String()+"/confirm-cash", f.CustomerToken, "", nil).
		wantProblem(http.StatusConflict, "cash_not_awaiting_confirmation")
	cash := e.paymentRow(t, f, o.CashPaymentID)
	tx, err := e.app.Ledger.Get(dbx.WithTenant(context.Background(), f.Tenant.ID), cash.LedgerTxID)
	require.NoError(t, err)
	require.Equal(t, "payment.cash", tx.Kind)

	// Stored value: nothing held (whatever the fixture's cards gave is spent first) → 409;
	// after a (stand-in) card purchase it pays the rest.
	tctx := dbx.WithTenant(context.Background(), f.Tenant.ID)
	held := ledger.Customer(f.CustomerID).Account(ledger.StoredValue, ledger.AssetStoredValue)
	if b := e.balance(t, f, held); b > 0 {
		_, err = e.app.Ledger.Post(tctx, ledger.Transaction{Kind: "test.spend", Key: "test-spend-" + uuid.NewString(), Entries: []ledger.Entry{
			{Account: held, Amount: -b}, {Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: b}}})
		require.NoError(t, err)
	}
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+o.CashOrderID.String()+"/stored-value-payment", f.CustomerToken, "", nil).
		wantProblem(http.StatusConflict, "insufficient_balance")
	_, err = e.app.Ledger.Post(tctx, ledger.Transaction{Kind: "card.purchase", Ref: ledger.Ref{Kind: "card", ID: uuid.New()}, Key: "test-card-" + uuid.NewString(),
		Entries: []ledger.Entry{
			{Account: ledger.External().Account(ledger.Clearing, cur), Amount: -1_000_000},
			{Account: ledger.HQ().Account(ledger.CardFunds, cur), Amount: 1_000_000},
			{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: -1_000_000},
			{Account: ledger.Customer(f.CustomerID).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: 1_000_000},
		}})
	require.NoError(t, err)
	var sv struct {
		Amount int64
		Status string
	}
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+o.CashOrderID.String()+"/stored-value-payment", f.CustomerToken, "", nil).status(http.StatusCreated).ok(&sv)
	require.Equal(t, "succeeded", sv.Status)
	require.Equal(t, 1_000_000-sv.Amount, e.balance(t, f, ledger.Customer(f.CustomerID).Account(ledger.StoredValue, ledger.AssetStoredValue)))
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+o.CashOrderID.String()+"/stored-value-payment", f.CustomerToken, "", nil).
		wantProblem(http.StatusConflict, "nothing_due")

	// A prepaid order cancelled by the customer inside the fee window (default: less than 24
	// hours before the visit, 20%): back comes the total less the fee.
	setPaymentMode(t, e, f, "prepay", 30)
	id, p := paidOrder(t, e, f)
	require.NoError(t, e.db.Owner.Exec(`update orders set starts_at = now() + interval '3 hours', ends_at = now() + interval '5 hours'
		where tenant_id = ? and id = ?`, f.Tenant.ID, id).Error)
	var out struct {
		Refunds []struct {
			Amount         int64
			Status, Source string
		}
	}
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+id.String()+"/cancel-with-refund", f.CustomerToken, "", map[string]any{"reason": "plans changed"}).ok(&out)
	require.Len(t, out.Refunds, 1)
	fee := p.Amount * 2000 / 10000
	require.Equal(t, p.Amount-fee, out.Refunds[0].Amount)
	require.Equal(t, "cancellation", out.Refunds[0].Source)
	require.Equal(t, "succeeded", out.Refunds[0].Status)
	require.Equal(t, "cancelled", e.orderStatus(t, f, id))
	_ = sort.Strings
	_ = json.Marshal
}
