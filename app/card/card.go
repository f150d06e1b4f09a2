// Package card owns prepaid cards (F7.5): the products HQ sells — stored value (pay X, get X
// plus a bonus) and visit cards (N visits, optionally of one service, or 年卡/季卡/月卡 time cards
// with capped or unlimited visits) — their purchase through Stripe, the cards customers hold,
// redeeming a visit on an order, HQ's manual adjustments and expiry. Money, stored value and
// visits are booked in the ledger exactly as docs/money.md charts them; spending stored value
// at checkout is the payment area's (payment.stored_value).
package card

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/ledger"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
)

// Errors with stable codes (docs/problems.md, "Prepaid cards").
var (
	ErrProductNotFound   = errs.New(errs.NotFound, "card_product_not_found", "no such card product")
	ErrProductNotDraft   = errs.New(errs.Conflict, "card_product_not_draft", "only a draft card product can be changed")
	ErrProductRetired    = errs.New(errs.Conflict, "card_product_retired", "the card product is retired")
	ErrProductNotOnSale  = errs.New(errs.Conflict, "card_product_not_on_sale", "the card product is not on sale")
	ErrServiceNotFound   = errs.New(errs.NotFound, "service_not_found", "no such service")
	ErrPurchaseNotFound  = errs.New(errs.NotFound, "card_purchase_not_found", "no such card purchase")
	ErrCardNotFound      = errs.New(errs.NotFound, "card_not_found", "no such card")
	ErrOrderNotFound     = errs.New(errs.NotFound, "order_not_found", "no such order")
	ErrCustomerNotFound  = errs.New(errs.NotFound, "customer_not_found", "no such customer")
	ErrCardExpired       = errs.New(errs.Conflict, "card_expired", "the card has expired")
	ErrNotVisitCard      = errs.New(errs.Conflict, "not_a_visit_card", "only a visit card can be redeemed on an order")
	ErrOtherCustomer     = errs.New(errs.Conflict, "card_not_order_customers", "the card belongs to another customer than the order")
	ErrServiceMismatch   = errs.New(errs.Conflict, "card_service_mismatch", "the card does not cover the order's service")
	ErrOrderNotRedeem    = errs.New(errs.Conflict, "order_not_redeemable", "a cancelled order cannot take a card visit")
	ErrAlreadyRedeemed   = errs.New(errs.Conflict, "order_already_redeemed", "a card visit has been redeemed on this order already")
	ErrNoVisitsLeft      = errs.New(errs.Conflict, "insufficient_balance", "the card has no visits left")
	ErrNotAdjustable     = errs.New(errs.Conflict, "card_not_adjustable", "an unlimited time card has no balance to adjust")
	ErrCustomersOnly     = errs.New(errs.Forbidden, "customers_only", "only customers buy cards")
	ErrProcessorDown     = errs.New(errs.Unavailable, "payment_processor_unavailable", "the payment processor did not answer; retry shortly")
	ErrProcessorDeclined = errs.New(errs.Conflict, "payment_processor_declined", "the payment processor declined the payment")
	ErrKeyReused         = errs.New(errs.Invalid, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
)

// Kind is what a card holds.
type Kind string

const (
	StoredValue Kind = "stored_value" // money to spend, pooled per customer in the ledger
	Visits      Kind = "visits"       // visits: N (of one service or any), or unlimited for a period
)

// ProductStatus is a product's life.
type ProductStatus string

const (
	Draft     ProductStatus = "draft"
	Published ProductStatus = "published"
	Retired   ProductStatus = "retired"
)

// Product is a card HQ sells.
type Product struct {
	ID                           uuid.UUID
	Kind                         Kind
	NameZh, NameEn               string
	DescriptionZh, DescriptionEn string
	Price                        int64 // what the customer pays, minor units
	Currency                     string
	Bonus                        int64     // stored value on top of the price (stored-value cards)
	Visits                       *int      // visits of a visit card; nil: unlimited for the period
	ServiceID                    uuid.UUID // the one service a visit card covers; uuid.Nil: any
	ValidityDays                 int
	Status                       ProductStatus
	PublishedAt, RetiredAt       *time.Time
	CreatedAt, UpdatedAt         time.Time
}

// PurchaseStatus follows the PaymentIntent.
type PurchaseStatus string

const (
	PurchasePending   PurchaseStatus = "pending"
	PurchaseSucceeded PurchaseStatus = "succeeded"
	PurchaseFailed    PurchaseStatus = "failed"
	PurchaseCanceled  PurchaseStatus = "canceled"
)

// Purchase is a customer buying a product through a Stripe PaymentIntent.
type Purchase struct {
	ID, CustomerID, ProductID uuid.UUID
	Amount                    int64
	Currency                  string
	Status                    PurchaseStatus
	Key                       string // Stripe idempotency key, saved before the call
	RequestKey                string // the client's Idempotency-Key (unique per customer); empty: none
	IntentID                  string
	ClientSecret              string // the PaymentIntent's, kept so a replayed purchase needs no Stripe call
	CardID, LedgerTxID        uuid.UUID
	LastEventID               string
	CreatedAt, UpdatedAt      time.Time
}

// Status of a held card.
type Status string

const (
	Active  Status = "active"
	Expired Status = "expired"
)

// Card is a card a customer holds.
type Card struct {
	ID, CustomerID, ProductID, PurchaseID uuid.UUID
	Kind                                  Kind
	NameZh, NameEn                        string
	Price                                 int64
	Currency                              string
	Bonus                                 int64
	Credited                              int64 // stored value this card put in (price + bonus + adjustments)
	VisitsTotal, VisitsRemaining          *int  // nil: unlimited
	FundsRemaining                        int64 // visit cards: money paid not yet earned
	ServiceID                             uuid.UUID
	Status                                Status
	StartsAt, ExpiresAt                   time.Time
	LedgerTxID, ExpireTxID                uuid.UUID
	ExpiredAt                             *time.Time
	CreatedAt, UpdatedAt                  time.Time

	// Remaining is filled by reads: stored value attributed to the card (stored-value cards),
	// or visits left (visit cards; 0 for unlimited ones).
	Remaining int64
}

// Holdings is a customer's cards and balances.
type Holdings struct {
	CustomerID  uuid.UUID
	Currency    string
	StoredValue int64 // the ledger's balance of the customer's stored value
	Visits      int64 // the ledger's balance of the customer's counted visits
	Cards       []Card
}

// Redemption is a visit of a card redeemed on an order: the order's payment of channel
// visit_card (the payment area records it). A refund or cancellation returns it.
type Redemption struct {
	ID, CardID, OrderID uuid.UUID
	Amount              int64 // moved from card funds to the order's funds
	LedgerTxID          uuid.UUID
	CreatedBy           string
	CreatedAt           time.Time
	ReturnedAt          *time.Time // given back (the order's visit payment refunded)
	ReturnTxID          uuid.UUID  // the reversal of the card.redeem posting
}

// Adjustment is HQ's manual change of a card's balance.
type Adjustment struct {
	ID, CardID uuid.UUID
	Delta      int64
	Reason     string
	RequestKey string // the client's Idempotency-Key (unique per requester, CreatedBy); empty: none
	LedgerTxID uuid.UUID
	CreatedBy  string
	CreatedAt  time.Time
}

// OrderFacts is what a redemption needs to know about an order.
type OrderFacts struct {
	ID, CustomerID, StoreID, ServiceID uuid.UUID
	Status                             string
	Total                              int64
	Currency                           string
	StartsAt                           time.Time
}

// TenantFacts is the tenant's currency and time zone.
type TenantFacts struct {
	Currency string
	TimeZone string
}

// ProductFilter selects products.
type ProductFilter struct {
	Status ProductStatus // empty: every status
	Kind   Kind
}

// Repo stores cards. Every method runs in the transaction of ctx.
type Repo interface {
	Tenant(ctx context.Context) (TenantFacts, error)
	ServiceExists(ctx context.Context, id uuid.UUID) (bool, error)
	CustomerExists(ctx context.Context, id uuid.UUID) (bool, error)

	InsertProduct(ctx context.Context, p Product) error
	Product(ctx context.Context, id uuid.UUID, lock bool) (Product, error) // ErrProductNotFound
	SaveProduct(ctx context.Context, p Product) error
	Products(ctx context.Context, f ProductFilter, p page.Request) (page.Result[Product], error)

	InsertPurchase(ctx context.Context, p Purchase) error
	Purchase(ctx context.Context, id uuid.UUID, lock bool) (Purchase, error) // ErrPurchaseNotFound
	SavePurchase(ctx context.Context, p Purchase) error
	// PurchaseByRequestKey finds the customer's purchase made under an Idempotency-Key.
	PurchaseByRequestKey(ctx context.Context, customerID uuid.UUID, key string) (Purchase, bool, error)

	InsertCard(ctx context.Context, c Card) error
	Card(ctx context.Context, id uuid.UUID, lock bool) (Card, error) // ErrCardNotFound
	SaveCard(ctx context.Context, c Card) error
	// CustomerCards lists a customer's cards by (expires_at, id); lock locks them in id order.
	CustomerCards(ctx context.Context, customerID uuid.UUID, lock bool) ([]Card, error)
	// DueCards lists active cards whose expires_at is at or before now.
	DueCards(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error)

	// Order returns an order's facts with its row locked (ErrOrderNotFound); the payment area
	// records a redemption under the same lock.
	Order(ctx context.Context, id uuid.UUID) (OrderFacts, error)
	// InsertRedemption adds r; a second redemption not returned on the order is ErrAlreadyRedeemed.
	InsertRedemption(ctx context.Context, r Redemption) error
	SetRedemptionTx(ctx context.Context, id, txID uuid.UUID) error
	// Redemption returns a redemption, locked when lock is set (errs.NotFound).
	Redemption(ctx context.Context, id uuid.UUID, lock bool) (Redemption, error)
	// SetRedemptionReturned marks a redemption returned with the reversal of its posting.
	SetRedemptionReturned(ctx context.Context, id uuid.UUID, at time.Time, txID uuid.UUID) error
	Redemptions(ctx context.Context, cardID uuid.UUID) ([]Redemption, error)
	// InsertAdjustment adds a; a second adjustment under the requester's Idempotency-Key
	// violates card_adjustments_request_key.
	InsertAdjustment(ctx context.Context, a Adjustment) error
	// AdjustmentByRequestKey finds the adjustment a requester made under an Idempotency-Key.
	AdjustmentByRequestKey(ctx context.Context, createdBy, key string) (Adjustment, bool, error)
	Adjustments(ctx context.Context, cardID uuid.UUID) ([]Adjustment, error)
}

// Auditor records sensitive changes.
type Auditor interface {
	Record(ctx context.Context, action, objectType, objectID string, before, after any) error
}

// Deps are the service's collaborators.
type Deps struct {
	DB      *dbx.DB
	Repo    Repo
	Ledger  *ledger.Service
	Gateway gateway.Gateway
	Audit   Auditor
	Outbox  Outboxer
	Clock   clock.Clock
	// StoresOf lists a franchisee's stores (org's query), for the data scope; required.
	StoresOf auth.StoresOf
	// MethodTypes returns the tenant's enabled Stripe payment method types (nil: card only).
	MethodTypes func(ctx context.Context) ([]string, error)
}

// Payments records a redemption as the order's payment, in the redemption's transaction
// (the payment area, handed in at wiring: payment must not import card).
type Payments interface {
	RecordVisit(ctx context.Context, v payment.VisitRedemption) (payment.Payment, error)
}

// Service runs prepaid cards.
type Service struct {
	Deps
	payments Payments
	retries  int
	backoff  time.Duration
}

// SetPayments hands in the payment area (at wiring, before serving). Without it a redemption
// is not recorded as a payment (tests of the card area alone).
func (s *Service) SetPayments(p Payments) { s.payments = p }

// Wired reports whether wiring handed in the payment area; the app refuses to start without it.
func (s *Service) Wired() error {
	if s.payments == nil {
		return errors.New("card: no payments (SetPayments)")
	}
	return nil
}

// NewService wires the card service.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.StoresOf == nil {
		panic("card: Deps.StoresOf is required")
	}
	return &Service{Deps: d, retries: 4, backoff: 200 * time.Millisecond}
}

func customerOf(ctx context.Context) (uuid.UUID, bool) {
	p, ok := auth.FromContext(ctx)
	if !ok || p == nil || p.Kind != auth.Customer {
		return uuid.Nil, false
	}
	return p.SubjectID, true
}

// inScope reports whether a staff-side caller's data scope covers storeID.
func (s *Service) inScope(ctx context.Context, storeID uuid.UUID) (bool, error) {
	return auth.ReachesStore(ctx, storeID, s.StoresOf)
}

func trim(s string) string { return strings.TrimSpace(s) }
