package wiring_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/ledger"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
)

// succeededIntent is a payment_intent.succeeded event for p with the given amount received
// and currency.
func succeededIntent(f *fixture, p payment.Payment, received int64, currency string) []byte {
	return stripeEvent("evt_"+uuid.NewString(), "payment_intent.succeeded", map[string]any{"id": "pi_" + p.ID.String()[:8],
		"object": "payment_intent", "amount": p.Amount, "amount_received": received, "currency": currency, "status": "succeeded",
		"payment_method_types": []string{"card"},
		"metadata":             map[string]string{payment.MetaTenant: f.Tenant.ID.String(), payment.MetaPurpose: string(payment.PurposeOrder), payment.MetaRef: p.ID.String()}})
}

// process receives a signed event and processes it at once, as the outbox task would.
func (e *env) process(t testing.TB, f *fixture, ev []byte) {
	ctx := context.Background()
	_, err := e.app.Payment.Receive(ctx, ev, gateway.SignTestPayload(ev, testWebhookSecret, time.Now()))
	require.NoError(t, err)
	var id struct{ ID string }
	require.NoError(t, json.Unmarshal(ev, &id))
	require.NoError(t, e.app.Payment.ProcessEvent(f.jobContext(), id.ID))
}

// TestIntentAmountReceivedIsWhatIsBooked: a PaymentIntent that received less than it asked
// books what it received and leaves the order waiting for the rest (the next payment asks for
// exactly that); one in another currency books nothing and fails the payment.
func TestIntentAmountReceivedIsWhatIsBooked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cur := f.Tenant.Currency
	setPaymentMode(t, e, f, "prepay", 30)
	orderFunds := ledger.HQ().Account(ledger.OrderFunds, cur)

	id := probeOrder(e, f, booking.PendingPayment, false)
	p, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	before := e.balance(t, f, orderFunds)
	e.process(t, f, succeededIntent(f, p, p.Amount-1000, cur))
	got := e.paymentRow(t, f, p.ID)
	require.Equal(t, payment.StatusSucceeded, got.Status)
	require.Equal(t, p.Amount-1000, got.Amount, "the payment is what Stripe received")
	require.Equal(t, before+p.Amount-1000, e.balance(t, f, orderFunds))
	require.Equal(t, "pending_payment", e.orderStatus(t, f, id), "short: the order is not confirmed")
	rest, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	require.EqualValues(t, 1000, rest.Amount, "the next payment asks for the rest")
	e.process(t, f, succeededIntent(f, rest, rest.Amount, cur))
	require.Equal(t, "confirmed", e.orderStatus(t, f, id))

	id2 := probeOrder(e, f, booking.PendingPayment, false)
	p2, err := e.app.Payment.StartPayment(customerContext(f), id2)
	require.NoError(t, err)
	before = e.balance(t, f, orderFunds)
	e.process(t, f, succeededIntent(f, p2, p2.Amount, "usd"))
	got = e.paymentRow(t, f, p2.ID)
	require.Equal(t, payment.StatusFailed, got.Status)
	require.Equal(t, "amount_mismatch", got.FailureCode)
	require.Equal(t, uuid.Nil, got.LedgerTxID)
	require.Equal(t, before, e.balance(t, f, orderFunds), "nothing booked")
	require.Equal(t, "pending_payment", e.orderStatus(t, f, id2))
	e.requireBooksBalance(t)
}

// TestOverpaymentIsRefundedAtOnce: a visit covers an order whose PaymentIntent the customer
// then pays anyway (the intent was cancelled, but the payment went through): the late payment
// is booked, and all of it, the excess over the order's total, is refunded at once (source
// overpayment); the order stays paid once. A cash record confirmed after the order was paid
// is refunded the same way.
func TestOverpaymentIsRefundedAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cur := f.Tenant.Currency
	setPaymentMode(t, e, f, "prepay", 30)
	cardID := visitCard(e, f, 4, 40000)
	id := probeOrder(e, f, booking.PendingPayment, false)
	p, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	_, err = e.app.Card.Redeem(customerContext(f), cardID, id)
	require.NoError(t, err)
	require.Equal(t, "confirmed", e.orderStatus(t, f, id))
	require.Equal(t, payment.StatusCanceled, e.paymentRow(t, f, p.ID).Status)

	e.process(t, f, succeededIntent(f, p, p.Amount, cur))
	got := e.paymentRow(t, f, p.ID)
	require.Equal(t, payment.StatusSucceeded, got.Status)
	require.Equal(t, got.Amount, got.Refunded, "the whole late payment is the excess")
	var refunds []struct {
		Source string
		Amount int64
	}
	require.NoError(t, e.db.Owner.Raw(`select source, amount from refunds where tenant_id = ? and payment_id = ?`, f.Tenant.ID, p.ID).Scan(&refunds).Error)
	require.Len(t, refunds, 1)
	require.Equal(t, "overpayment", refunds[0].Source)
	require.Equal(t, p.Amount, refunds[0].Amount)
	e.process(t, f, succeededIntent(f, p, p.Amount, cur)) // a duplicate delivery refunds nothing more
	require.NoError(t, e.db.Owner.Raw(`select source, amount from refunds where tenant_id = ? and payment_id = ?`, f.Tenant.ID, p.ID).Scan(&refunds).Error)
	require.Len(t, refunds, 1)

	// Pay after service: cash recorded by staff, then a visit covers the order before the
	// customer confirms the cash: confirming refunds the cash in full.
	setPaymentMode(t, e, f, "pay_after", 30)
	id2 := probeOrder(e, f, booking.AwaitingAcceptance, true)
	total := e.orderTotal(t, f, id2)
	cash, err := e.app.Payment.RecordCash(staffUserContext(e, f), id2, total)
	require.NoError(t, err)
	_, err = e.app.Card.Redeem(customerContext(f), cardID, id2)
	require.NoError(t, err)
	confirmed, err := e.app.Payment.ConfirmCash(customerContext(f), id2, cash.ID)
	require.NoError(t, err)
	require.Equal(t, confirmed.Amount, e.paymentRow(t, f, cash.ID).Refunded, "the cash is handed back")
	e.requireBooksBalance(t)
}
