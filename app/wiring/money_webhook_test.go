package wiring_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/commission"
	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
	"doorstep/app/payment"
)

// TestWebhookReachesCardsAndPayouts: the Stripe webhook hands events to the areas that own
// them, through the wiring — a card purchase's payment_intent.succeeded issues the card, and a
// Connect account.updated restricts a staff member's payout account — through the real
// endpoint and the real worker.
func TestWebhookReachesCardsAndPayouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cust := f.CustomerToken
	p := storedValueProduct(e, f)
	var pu struct {
		ID     uuid.UUID
		Status string
		CardID *uuid.UUID `json:"card_id"`
	}
	e.do(http.MethodPost, "/api/v1/storefront/card-purchases", cust, "", map[string]any{"product_id": p.ID}).status(http.StatusCreated).ok(&pu)
	require.Equal(t, "pending", pu.Status)
	var intentID string
	require.NoError(t, e.db.Owner.Raw(`select intent_id from card_purchases where id = ?`, pu.ID).Row().Scan(&intentID))
	require.NotEmpty(t, intentID)

	body := stripeEvent("evt_card_"+pu.ID.String()[:8], "payment_intent.succeeded", map[string]any{
		"id": intentID, "object": "payment_intent", "amount": 100_000, "amount_received": 100_000, "currency": "cny",
		"status": "succeeded", "payment_method_types": []string{"card"},
		"metadata": map[string]string{payment.MetaTenant: f.Tenant.ID.String(), payment.MetaPurpose: string(payment.PurposeCardPurchase),
			payment.MetaRef: pu.ID.String()}})
	e.deliverSigned(t, body)
	e.deliverSigned(t, body) // a duplicate delivery changes nothing
	require.Eventually(t, func() bool {
		e.do(http.MethodGet, "/api/v1/storefront/card-purchases/"+pu.ID.String(), cust, "", nil).ok(&pu)
		return pu.Status == "succeeded" && pu.CardID != nil
	}, 60*time.Second, 100*time.Millisecond, "the webhook issued the card")
	var cards int
	require.NoError(t, e.db.Owner.Raw(`select count(*) from cards where tenant_id = ? and purchase_id = ?`, f.Tenant.ID, pu.ID).Row().Scan(&cards))
	require.Equal(t, 1, cards)

	// The fixture enabled the staff member's payout account; Stripe now restricts it.
	var acct struct {
		StripeAccountID string
		State           string
	}
	require.NoError(t, e.db.Owner.Raw(`select stripe_account_id, state from payout_accounts where tenant_id = ? and owner_kind = 'staff'
		order by created_at limit 1`, f.Tenant.ID).Scan(&acct).Error)
	require.Equal(t, "enabled", acct.State)
	e.deliverSigned(t, stripeEvent("evt_acct_"+f.Tenant.Slug, "account.updated", map[string]any{
		"id": acct.StripeAccountID, "object": "account", "payouts_enabled": false, "charges_enabled": false, "details_submitted": true,
		"requirements": map[string]any{"disabled_reason": "requirements.past_due"},
		"metadata":     map[string]string{payment.MetaTenant: f.Tenant.ID.String()}}))
	require.Eventually(t, func() bool {
		var state string
		e.db.Owner.Raw(`select state from payout_accounts where tenant_id = ? and stripe_account_id = ?`, f.Tenant.ID, acct.StripeAccountID).Row().Scan(&state)
		return state == "restricted"
	}, 60*time.Second, 100*time.Millisecond, "the webhook restricted the payout account")
}

// TestStoreCancellationRefundsThePayment: an order paid by card and then cancelled by the
// store (booking's own cancel, no fee) is refunded in full by the job the cancellation
// enqueued; a customer's storefront cancel-with-refund is not refunded a second time.
func TestStoreCancellationRefundsThePayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	setPaymentMode(t, e, f, "prepay", 30)
	id, p := paidOrder(t, e, f)
	require.Equal(t, "confirmed", e.orderStatus(t, f, id))
	e.do(http.MethodPost, "/api/v1/orders/"+id.String()+"/cancel", f.Tokens["store_manager"], "", map[string]any{"reason": "staff shortage"}).ok(nil)
	require.Eventually(t, func() bool {
		return e.paymentRow(t, f, p.ID).Refunded == p.Amount
	}, 60*time.Second, 100*time.Millisecond, "the cancellation refunded the payment in full")
	var refunds int
	require.NoError(t, e.db.Owner.Raw(`select count(*) from refunds where tenant_id = ? and payment_id = ?`, f.Tenant.ID, p.ID).Row().Scan(&refunds))
	require.Equal(t, 1, refunds)

	// The storefront's cancel-with-refund refunds at once; the cancellation's job (here run
	// directly, and again) finds nothing more to give back.
	id2, p2 := paidOrder(t, e, f)
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+id2.String()+"/cancel-with-refund", f.CustomerToken, "", map[string]any{"reason": "plans changed"}).ok(nil)
	refunded := e.paymentRow(t, f, p2.ID).Refunded
	require.Positive(t, refunded)
	for range 2 {
		more, err := e.app.Payment.RefundCancelled(f.jobContext(), id2)
		require.NoError(t, err)
		require.Empty(t, more)
	}
	require.NoError(t, e.db.Owner.Raw(`select count(*) from refunds where tenant_id = ? and payment_id = ?`, f.Tenant.ID, p2.ID).Row().Scan(&refunds))
	require.Equal(t, 1, refunds)
	require.Equal(t, refunded, e.paymentRow(t, f, p2.ID).Refunded)
}

// TestFailedStripeRefundGivesTheClawbackBack: a completed order paid through Stripe is split
// (PaidHook → commission:split through the worker); a partial refund claws back its share;
// Stripe then fails the refund (a signed refund.failed event): the refund is failed, its
// posting reversed, and commission gives back exactly what it clawed back.
func TestFailedStripeRefundGivesTheClawbackBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cur := f.Tenant.Currency
	owner := f.Tokens["owner"]
	e.do(http.MethodPost, "/api/v1/commission/rules", owner, "", map[string]any{"platform_fee_bp": 1000, "royalty_bp": 0, "staff_lines": []any{}}).status(http.StatusCreated)
	id := probeOrder(e, f, booking.Completed, false)
	p, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	e.settleIntent(f, p, "payment_intent.succeeded", "card")
	ctx := dbx.WithTenant(context.Background(), f.Tenant.ID)
	var sp commission.Split
	require.Eventually(t, func() bool {
		sp, err = e.app.Commission.SplitOf(hqContext(f), id)
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "the worker splits the paid, completed order")
	require.Equal(t, p.Amount, sp.Total)
	fee := p.Amount / 10
	platformPending := ledger.Platform().Account(ledger.Pending, cur)
	pendingBefore := e.balance(t, f, platformPending)

	var r struct{ ID uuid.UUID }
	e.do(http.MethodPost, "/api/v1/orders/"+id.String()+"/refunds", owner, "", map[string]any{"payment_id": p.ID, "amount": p.Amount / 2, "reason": "partly unhappy"}).
		status(http.StatusCreated).ok(&r)
	sp, err = e.app.Commission.SplitOf(hqContext(f), id)
	require.NoError(t, err)
	require.Equal(t, p.Amount/2, sp.Refunded)
	require.Equal(t, pendingBefore-fee*(p.Amount/2)/p.Amount, e.balance(t, f, platformPending))

	ev := refundEvent("evt_"+uuid.NewString(), "refund.failed", f.Tenant.ID, p.ID, "re_"+r.ID.String()[:8], p.Amount/2, "failed",
		map[string]string{"refund_id": r.ID.String()})
	e.deliverSigned(t, ev)
	require.Eventually(t, func() bool { return e.paymentRow(t, f, p.ID).Refunded == 0 }, 30*time.Second, 50*time.Millisecond)
	sp, err = e.app.Commission.SplitOf(hqContext(f), id)
	require.NoError(t, err)
	require.Zero(t, sp.Refunded)
	for _, l := range sp.Lines {
		require.Zero(t, l.ClawedBack, "line %d", l.No)
	}
	require.Equal(t, pendingBefore, e.balance(t, f, platformPending), "the platform's fee is whole again")
	e.deliverSigned(t, ev) // a duplicate changes nothing
	mismatches, err := e.app.Ledger.Check(ctx)
	require.NoError(t, err)
	require.Empty(t, mismatches)
	var kinds []string
	require.NoError(t, e.db.Owner.Raw(`select kind from ledger_transactions where tenant_id = ? and ref_id = ? order by created_at`, f.Tenant.ID, r.ID).Scan(&kinds).Error)
	require.Equal(t, []string{"commission.clawback", "refund", "commission.clawback.reversal", "refund.reversal"}, kinds)
}

// storedValueProduct creates and publishes a stored-value card (pay 1,000.00, get 1,100.00, a
// year) in f through the API.
func storedValueProduct(e *env, f *fixture) cardProductView {
	e.t.Helper()
	owner := f.Tokens["owner"]
	var p cardProductView
	e.do(http.MethodPost, "/api/v1/card-products", owner, "", map[string]any{"kind": "stored_value", "name_zh": "储值卡", "name_en": "Stored value",
		"price": 100_000, "bonus": 10_000, "validity_days": 365}).status(http.StatusCreated).ok(&p)
	e.do(http.MethodPost, "/api/v1/card-products/"+p.ID.String()+"/publish", owner, "", nil).ok(&p)
	return p
}
