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
	// Amount is what this refund takes out of HQ/order_funds, the account commission splits
	// from (its split total is what the order's postings brought into it): for money the
	// refund's amount; for a visit payment given back, the redemption's value (the order_funds
	// line of its card.redeem posting, price/visits), not the amount the visit covered. Always > 0:
	// a refund that takes nothing out of order funds runs no hook.
	Amount int64
	// Paid is what the order counts as paid once this refund is booked: its succeeded payments
	// at their amounts (money refunds do not lower it; a visit payment given back drops out).
	Paid int64
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

// VisitRedemption is a visit of a visit card redeemed on an order (prepaid cards), which the
// payment area records as a payment of the order in the redemption's transaction.
type VisitRedemption struct {
	RedemptionID uuid.UUID
	OrderID      uuid.UUID
	LedgerTxID   uuid.UUID // the card.redeem posting (uuid.Nil: the redemption moved nothing)
}

// VisitReturn asks for a redeemed visit back: its visit payment is being refunded.
type VisitReturn struct {
	RedemptionID uuid.UUID
	RefundID     uuid.UUID // the refund giving it back (the reversal's ledger ref)
	Reason       string
}

// VisitReturner gives a redeemed visit back (prepaid cards, registered at wiring) in the
// refund's transaction: it reverses the redemption's card.redeem posting (idempotent key),
// restores the card's visit and funds and marks the redemption returned. It returns the
// reversal's ledger transaction (uuid.Nil when the redemption had posted nothing).
type VisitReturner interface {
	// HoldVisit locks the redemption's card row, before the refund takes any ledger row.
	HoldVisit(ctx context.Context, redemptionID uuid.UUID) error
	ReturnVisit(ctx context.Context, r VisitReturn) (ledgerTxID uuid.UUID, err error)
}

// PaidHook runs in the transaction of every payment after which the order is fully paid
// (commission splits an order once it is both paid and completed, and grows the split by
// what a later payment brought in). It must be idempotent.
type PaidHook interface {
	OrderPaid(ctx context.Context, orderID uuid.UUID) error
}
