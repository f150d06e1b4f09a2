package wiring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
	"doorstep/tenant"
)

// paymentObjects are a fixture's real payments, for the route walk and the probes.
type paymentObjects struct {
	PaidOrderID   uuid.UUID // awaiting acceptance, paid by card (balance), served by f's staff member
	PaymentID     uuid.UUID // that card payment, succeeded through a signed webhook event
	CashOrderID   uuid.UUID // awaiting acceptance, served by f's staff member, unpaid
	CashPaymentID uuid.UUID // cash recorded on it by the staff member, awaiting the customer
}

var paymentFixtures sync.Map // *fixture → *paymentObjects

func paymentOf(f *fixture) *paymentObjects {
	v, _ := paymentFixtures.Load(f)
	return v.(*paymentObjects)
}

// seedPayment makes f's payments (called from seedObjects).
func (e *env) seedPayment(f *fixture) {
	t := e.t
	o := &paymentObjects{PaidOrderID: probeOrder(e, f, booking.AwaitingAcceptance, true), CashOrderID: probeOrder(e, f, booking.AwaitingAcceptance, true)}
	p, err := e.app.Payment.StartPayment(customerContext(f), o.PaidOrderID)
	require.NoError(t, err)
	o.PaymentID = p.ID
	e.settleIntent(f, p, "payment_intent.succeeded", "card")
	cash, err := e.app.Payment.RecordCash(staffUserContext(e, f), o.CashOrderID, 5000)
	require.NoError(t, err)
	o.CashPaymentID = cash.ID
	paymentFixtures.Store(f, o)
	f.Secrets = append(f.Secrets, o.PaidOrderID.String(), o.PaymentID.String(), o.CashPaymentID.String())
}

// settleIntent delivers a signed event for p's intent through the service and processes it at once.
func (e *env) settleIntent(f *fixture, p payment.Payment, typ, method string) {
	ev := intentEvent("evt_"+uuid.NewString(), typ, f.Tenant.ID, p.ID, p.Amount, method)
	ctx := context.Background()
	_, err := e.app.Payment.Receive(ctx, ev, gateway.SignTestPayload(ev, testWebhookSecret, time.Now()))
	require.NoError(e.t, err)
	var id struct{ ID string }
	require.NoError(e.t, json.Unmarshal(ev, &id))
	require.NoError(e.t, e.app.Payment.ProcessEvent(f.jobContext(), id.ID))
}

// intentEvent is a Stripe payment_intent.* event for one of Doorstep's order payments.
func intentEvent(id, typ string, tenantID, paymentID uuid.UUID, amount int64, method string) []byte {
	obj := map[string]any{"id": "pi_" + paymentID.String()[:8], "object": "payment_intent", "amount": amount, "currency": "cny",
		"status": map[string]string{"payment_intent.succeeded": "succeeded", "payment_intent.payment_failed": "requires_payment_method",
			"payment_intent.canceled": "canceled"}[typ],
		"payment_method_types": []string{method},
		"metadata":             map[string]string{payment.MetaTenant: tenantID.String(), payment.MetaPurpose: string(payment.PurposeOrder), payment.MetaRef: paymentID.String()}}
	if typ == "payment_intent.succeeded" {
		obj["amount_received"] = amount
	} else if typ == "payment_intent.payment_failed" {
		obj["last_payment_error"] = map[string]string{"code": "card_declined"}
	}
	return stripeEvent(id, typ, obj)
}

// refundEvent is a Stripe refund.* event.
func refundEvent(id, typ string, tenantID, paymentID uuid.UUID, refundID string, amount int64, status string, md map[string]string) []byte {
	meta := map[string]string{payment.MetaTenant: tenantID.String(), payment.MetaRef: paymentID.String()}
	for k, v := range md {
		meta[k] = v
	}
	return stripeEvent(id, typ, map[string]any{"id": refundID, "object": "refund", "amount": amount, "currency": "cny", "status": status,
		"payment_intent": "pi_" + paymentID.String()[:8], "metadata": meta})
}

func stripeEvent(id, typ string, obj map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": time.Now().Unix(),
		"api_version": "2023-10-16", "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		panic(err)
	}
	return b
}

// deliver posts a signed event to the real webhook endpoint and returns the status and body.
func (e *env) deliver(t testing.TB, body []byte, signature string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/webhooks/stripe", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", signature)
	res, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (e *env) deliverSigned(t testing.TB, body []byte) {
	code, b := e.deliver(t, body, gateway.SignTestPayload(body, testWebhookSecret, time.Now()))
	require.Equal(t, http.StatusOK, code, b)
}

var _ = fmt.Sprint

// staffUserContext acts as f's service staff member (the user holding the staff role).
func staffUserContext(e *env, f *fixture) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant),
		&auth.Principal{Kind: auth.User, TenantID: f.Tenant.ID, SubjectID: f.UserIDs["staff"], Roles: []string{"staff"}, Scope: auth.ScopeSelf})
}
