// Package payment takes customers' payments for orders (Stripe PaymentIntents, cash, stored
// value), refunds them, and receives Stripe's webhooks. This file is the contract other money
// areas (prepaid cards, commission, payouts) build on; they are handed in at wiring time.
package payment

import (
	"context"

	"github.com/google/uuid"

	"doorstep/app/payment/gateway"
)

// Metadata keys every PaymentIntent Doorstep creates carries, so a webhook event finds its
// tenant and its owner.
const (
	MetaTenant  = "tenant_id"
	MetaPurpose = "purpose" // one of the Purpose values
	MetaRef     = "ref_id"  // the business object's ID (payment, card purchase …)
)

// Purpose says what a PaymentIntent pays for.
type Purpose string

const (
	PurposeOrder        Purpose = "order_payment" // handled by this package
	PurposeCardPurchase Purpose = "card_purchase" // handled by prepaid cards
)

// IntentEvent is a verified payment_intent.* event for a purpose another area owns, delivered
// once per event ID, in the tenant's transaction (ctx carries the tenant and the transaction).
type IntentEvent struct {
	EventID  string
	Type     string // payment_intent.succeeded, payment_intent.payment_failed, payment_intent.canceled
	IntentID string
	Amount   int64
	Currency string
	Method   string // card, alipay, wechat_pay
	RefID    uuid.UUID
}

// IntentHandler settles PaymentIntents of one purpose (e.g. prepaid cards). It must be
// idempotent and tolerate events out of order (a failure after a success changes nothing).
type IntentHandler interface {
	HandleIntent(ctx context.Context, ev IntentEvent) error
}

// EventHandler takes other verified events (Connect account updates, transfers, payouts) in
// the tenant's transaction; Types lists the event types it wants. Same rules as IntentHandler.
type EventHandler interface {
	Types() []string
	HandleEvent(ctx context.Context, ev gateway.Event) error
}

// RefundFacts describes a refund about to be posted, for the commission clawback.
type RefundFacts struct {
	RefundID uuid.UUID
	OrderID  uuid.UUID
	Amount   int64 // this refund
	Paid     int64 // what the order was paid in total
}

// RefundHook hears of refunds in their transactions (commission claws back its proportional
// share, and gives it back when the refund fails). An error aborts the transaction.
type RefundHook interface {
	// BeforeRefund runs before the refund's ledger posting.
	BeforeRefund(ctx context.Context, r RefundFacts) error
	// RefundFailed runs when a refund BeforeRefund saw fails (the processor refused it, or
	// failed it after it had succeeded), before its posting is reversed. Each refund fails once.
	RefundFailed(ctx context.Context, r RefundFacts) error
}

// PaidHook runs in the transaction that records an order as fully paid (commission splits an
// order once it is both paid and completed).
type PaidHook interface {
	OrderPaid(ctx context.Context, orderID uuid.UUID) error
}
