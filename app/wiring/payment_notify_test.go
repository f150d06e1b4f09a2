package wiring_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/money"
	"doorstep/app/ledger"
	"doorstep/app/notify"
)

// orderMessages counts what token's inbox holds of template about orderID.
func (e *env) orderMessages(token string, orderID uuid.UUID, template string) (n int, last struct{ Title, Body string }) {
	e.t.Helper()
	var p inboxPage
	e.do(http.MethodGet, "/api/v1/me/inbox?limit=100", token, "", nil).ok(&p)
	for _, m := range p.Items {
		if m.Template == template && m.Data["order_id"] == orderID.String() {
			n++
			last.Title, last.Body = m.Title, m.Body
		}
	}
	return n, last
}

// outboxMessages counts the in-app messages of template about orderID written to f's outbox
// (one per state change, whatever the worker later does with them), and the locales they ask for.
func (e *env) outboxMessages(f *fixture, orderID uuid.UUID, template string) (int, []string) {
	e.t.Helper()
	var locales []string
	require.NoError(e.t, e.db.Owner.Raw(`select payload->'message'->>'locale' from outbox where tenant_id = ? and task_type = ?
		and payload->'message'->>'template' = ? and payload->'message'->'data'->>'order_id' = ?
		and payload->'message'->>'to' = ?`, f.Tenant.ID, notify.TypeSend, template, orderID.String(),
		"customer:"+f.CustomerID.String()).Scan(&locales).Error)
	return len(locales), locales
}

// waitOneMessage waits until token's inbox holds template about orderID, lets the worker
// finish whatever else was written for the order, and requires that it still holds exactly one.
func (e *env) waitOneMessage(f *fixture, token string, orderID uuid.UUID, template string) (title, body string) {
	e.t.Helper()
	require.Eventually(e.t, func() bool { n, _ := e.orderMessages(token, orderID, template); return n >= 1 },
		15*time.Second, 50*time.Millisecond, "no %s about %s", template, orderID)
	require.Eventually(e.t, func() bool {
		var pending int64
		require.NoError(e.t, e.db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ? and enqueued_at is null`,
			f.Tenant.ID, notify.TypeSend).Scan(&pending).Error)
		return pending == 0
	}, 15*time.Second, 50*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // a second message, if any, would have landed by now
	n, m := e.orderMessages(token, orderID, template)
	require.Equal(e.t, 1, n, "exactly one %s about %s", template, orderID)
	return m.Title, m.Body
}

// TestPaymentNotificationsOncePerChange: through the real webhook endpoint, the outbox and the
// worker, a paid order leaves exactly one payment_received in its customer's inbox although
// its succeeded event arrives three times (twice the same delivery, once re-sent under a new
// event id); a refund tells them once that it was issued (its Stripe refund.updated event
// changes nothing), and once that it failed when Stripe fails it later. Messages ask for the
// tenant's locale; the inbox shows them in the customer's own.
func TestPaymentNotificationsOncePerChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	require.NoError(t, e.db.Owner.Exec(`update customers set locale = 'en' where tenant_id = ? and id = ?`, f.Tenant.ID, f.CustomerID).Error)
	setPaymentMode(t, e, f, "prepay", 30)
	id := probeOrder(e, f, booking.PendingPayment, false)
	p, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	cust := f.CustomerToken
	n, _ := e.orderMessages(cust, id, notify.TemplatePaymentReceived)
	require.Zero(t, n, "nothing is said before the payment succeeds")

	evN := 0
	evID := func() string { evN++; return fmt.Sprintf("evt_pn_%02d", evN) }
	succeeded := intentEvent(evID(), "payment_intent.succeeded", f.Tenant.ID, p.ID, p.Amount, "alipay")
	e.deliverSigned(t, succeeded)
	e.deliverSigned(t, succeeded) // a duplicate delivery
	e.deliverSigned(t, intentEvent(evID(), "payment_intent.succeeded", f.Tenant.ID, p.ID, p.Amount, "alipay"))
	e.waitProcessed(t, f, evN)
	require.Equal(t, "confirmed", e.orderStatus(t, f, id))

	amount := money.Amount{Minor: p.Amount, Currency: p.Currency}.String()
	title, body := e.waitOneMessage(f, cust, id, notify.TemplatePaymentReceived)
	require.Equal(t, "Payment received", title)
	var number string
	require.NoError(t, e.db.Owner.Raw(`select number from orders where tenant_id = ? and id = ?`, f.Tenant.ID, id).Scan(&number).Error)
	require.Contains(t, body, "We received your payment of "+amount+" for order "+number+" (Alipay).")
	count, locales := e.outboxMessages(f, id, notify.TemplatePaymentReceived)
	require.Equal(t, 1, count)
	require.Equal(t, []string{f.Tenant.Locale}, locales, "the message asks for the tenant's locale")

	// A partial refund through the API: Stripe (stripe-mock) answers succeeded at once.
	part := p.Amount / 4
	var r struct{ ID, Status string }
	e.do(http.MethodPost, "/api/v1/orders/"+id.String()+"/refunds", f.Tokens["finance"], "",
		map[string]any{"payment_id": p.ID, "amount": part, "reason": "window not cleaned"}).status(http.StatusCreated).ok(&r)
	require.Equal(t, "succeeded", r.Status)
	refundID := uuid.MustParse(r.ID)
	var stripeID string
	require.NoError(t, e.db.Owner.Raw(`select stripe_refund_id from refunds where tenant_id = ? and id = ?`, f.Tenant.ID, refundID).Scan(&stripeID).Error)
	// Stripe's own word that it succeeded arrives later and changes nothing.
	md := map[string]string{"refund_id": refundID.String()}
	e.deliverSigned(t, refundEvent(evID(), "refund.updated", f.Tenant.ID, p.ID, stripeID, part, "succeeded", md))
	e.waitProcessed(t, f, evN)
	partAmount := money.Amount{Minor: part, Currency: p.Currency}.String()
	title, body = e.waitOneMessage(f, cust, id, notify.TemplateRefundIssued)
	require.Equal(t, "Refund issued", title)
	require.Equal(t, "["+f.Tenant.BrandName()+"] A refund of "+partAmount+" for order "+number+" has been issued. Reason: window not cleaned", body)
	count, _ = e.outboxMessages(f, id, notify.TemplateRefundIssued)
	require.Equal(t, 1, count)
	n, _ = e.orderMessages(cust, id, notify.TemplateRefundFailed)
	require.Zero(t, n)

	// Stripe fails it afterwards (twice over): one refund_failed, and the money is back on the payment.
	failed := refundEvent(evID(), "refund.failed", f.Tenant.ID, p.ID, stripeID, part, "failed", md)
	e.deliverSigned(t, failed)
	e.deliverSigned(t, refundEvent(evID(), "refund.failed", f.Tenant.ID, p.ID, stripeID, part, "failed", md))
	e.waitProcessed(t, f, evN)
	title, body = e.waitOneMessage(f, cust, id, notify.TemplateRefundFailed)
	require.Equal(t, "Refund failed", title)
	require.Contains(t, body, "The refund of "+partAmount+" for order "+number+" could not be completed.")
	count, _ = e.outboxMessages(f, id, notify.TemplateRefundFailed)
	require.Equal(t, 1, count)
	require.Zero(t, e.paymentRow(t, f, p.ID).Refunded)
	count, _ = e.outboxMessages(f, id, notify.TemplatePaymentReceived)
	require.Equal(t, 1, count, "still one payment_received")

	// Nobody else hears of it: the other tenant's customer.
	n, _ = e.orderMessages(e.B.CustomerToken, id, notify.TemplatePaymentReceived)
	require.Zero(t, n)
}

// TestCashStoredValueAndCancellationNotifications: confirmed cash and stored value payments
// are announced at once with their method, in the customer's language (zh-CN here), and a
// cancellation's refund gives the reason in it too.
func TestCashStoredValueAndCancellationNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	require.NoError(t, e.db.Owner.Exec(`update customers set locale = 'zh-CN' where tenant_id = ? and id = ?`, f.Tenant.ID, f.CustomerID).Error)
	cust := f.CustomerToken
	o := paymentOf(f)
	confirm := "/api/v1/storefront/orders/" + o.CashOrderID.String() + "/payments/" + o.CashPaymentID.String() + "/confirm-cash"
	e.do(http.MethodPost, confirm, cust, "", nil).ok(nil)
	e.do(http.MethodPost, confirm, cust, "", nil).wantProblem(http.StatusConflict, "cash_not_awaiting_confirmation")
	title, body := e.waitOneMessage(f, cust, o.CashOrderID, notify.TemplatePaymentReceived)
	require.Equal(t, "付款成功", title)
	require.Contains(t, body, "支付的 "+money.Amount{Minor: 5000, Currency: f.Tenant.Currency}.String()+"（现金）")

	// Stored value refunded by the store at once: refund_issued in the same request.
	setPaymentMode(t, e, f, "prepay", 30)
	id := probeOrder(e, f, booking.PendingPayment, false)
	e.giveStoredValue(t, f, 1_000_000)
	var sv struct {
		ID     string
		Amount int64
	}
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+id.String()+"/stored-value-payment", cust, "", nil).status(http.StatusCreated).ok(&sv)
	_, body = e.waitOneMessage(f, cust, id, notify.TemplatePaymentReceived)
	require.Contains(t, body, "（储值余额）")
	e.do(http.MethodPost, "/api/v1/orders/"+id.String()+"/refunds", f.Tokens["finance"], "",
		map[string]any{"payment_id": sv.ID, "amount": 100, "reason": "优惠补差"}).status(http.StatusCreated)
	_, body = e.waitOneMessage(f, cust, id, notify.TemplateRefundIssued)
	require.Contains(t, body, "的退款 "+money.Amount{Minor: 100, Currency: f.Tenant.Currency}.String()+" 已办理。原因：优惠补差")

	// Cancelled by the customer: the refund says why in the reader's language.
	require.NoError(t, e.db.Owner.Exec(`update orders set starts_at = now() + interval '3 days', ends_at = now() + interval '3 days 2 hours'
		where tenant_id = ? and id = ?`, f.Tenant.ID, id).Error)
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+id.String()+"/cancel-with-refund", cust, "", map[string]any{"reason": "plans changed"}).ok(nil)
	require.Eventually(t, func() bool { n, _ := e.orderMessages(cust, id, notify.TemplateRefundIssued); return n == 2 }, 15*time.Second, 50*time.Millisecond)
	count, _ := e.outboxMessages(f, id, notify.TemplateRefundIssued)
	require.Equal(t, 2, count)
	var p inboxPage
	e.do(http.MethodGet, "/api/v1/me/inbox?limit=100", cust, "", nil).ok(&p)
	found := false
	for _, m := range p.Items {
		if m.Template == notify.TemplateRefundIssued && m.Data["order_id"] == id.String() && m.Data["refund_id"] != "" {
			found = found || m.Body == "【"+f.Tenant.BrandName()+"】订单 "+m.Data["order_no"]+" 的退款 "+
				money.Amount{Minor: sv.Amount - 100, Currency: f.Tenant.Currency}.String()+" 已办理。原因：订单已取消"
		}
	}
	require.True(t, found, "the cancellation refund names its reason in Chinese")
}

// giveStoredValue credits f's customer with amount of stored value (a stand-in card purchase).
func (e *env) giveStoredValue(t testing.TB, f *fixture, amount int64) {
	cur := f.Tenant.Currency
	_, err := e.app.Ledger.Post(dbx.WithTenant(context.Background(), f.Tenant.ID), ledger.Transaction{Kind: "card.purchase",
		Ref: ledger.Ref{Kind: "card", ID: uuid.New()}, Key: "test-card-" + uuid.NewString(),
		Entries: []ledger.Entry{
			{Account: ledger.External().Account(ledger.Clearing, cur), Amount: -amount},
			{Account: ledger.HQ().Account(ledger.CardFunds, cur), Amount: amount},
			{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: -amount},
			{Account: ledger.Customer(f.CustomerID).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: amount},
		}})
	require.NoError(t, err)
}
