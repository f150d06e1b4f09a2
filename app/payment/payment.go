package payment

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment/gateway"
	"doorstep/jobs"
)

// Errors with stable codes (docs/problems.md, "Payments").
var (
	ErrOrderNotFound     = errs.New(errs.NotFound, "order_not_found", "no such order")
	ErrPaymentNotFound   = errs.New(errs.NotFound, "payment_not_found", "no such payment")
	ErrPaymentNotDue     = errs.New(errs.Conflict, "payment_not_due", "this order takes no payment in its current state")
	ErrNothingDue        = errs.New(errs.Conflict, "nothing_due", "this order has been paid in full")
	ErrNotRefundable     = errs.New(errs.Conflict, "payment_not_refundable", "only succeeded payments can be refunded")
	ErrRefundExceedsPaid = errs.New(errs.Conflict, "refund_exceeds_paid", "the refund is more than what is left of the payment")
	ErrCashNotAwaiting   = errs.New(errs.Conflict, "cash_not_awaiting_confirmation", "this payment is not a cash record waiting for your confirmation")
	ErrCashOpen          = errs.New(errs.Conflict, "cash_already_recorded", "a cash payment for this order is already waiting for the customer's confirmation")
	ErrNotYourJob        = errs.New(errs.NotFound, "order_not_found", "no such order")
	ErrNoStaffProfile    = errs.New(errs.Forbidden, "no_staff_profile", "your account has no staff profile")
	ErrCustomersOnly     = errs.New(errs.Forbidden, "customers_only", "only the order's customer may do this")
	ErrMethodNotEnabled  = errs.New(errs.Conflict, "payment_methods_unavailable", "the store accepts none of the requested payment methods")
	ErrProcessor         = errs.New(errs.Unavailable, "payment_processor_unavailable", "the payment processor did not answer; try again")
	ErrBadSignature      = errs.New(errs.Invalid, "webhook_signature_invalid", "the event's signature is forged, stale, dated in the future or made with another secret")
	ErrBadPayload        = errs.New(errs.Invalid, "webhook_payload_invalid", "the event is correctly signed but its body is not a Stripe event")
	ErrPaymentOutOfScope = ErrOrderNotFound
	ErrNoVisitReturner   = errors.New("payment: no visit returner registered; a visit payment cannot be refunded")
	errNotYet            = errors.New("payment: the event's payment has not succeeded yet; retried until it has")
)

// Payment kinds.
const (
	KindFull    = "full"    // the whole total before service (prepay)
	KindDeposit = "deposit" // the deposit before service
	KindBalance = "balance" // what is due after service
)

// Channels and statuses.
const (
	ChannelStripe      = "stripe"
	ChannelCash        = "cash"
	ChannelStoredValue = "stored_value"
	// ChannelVisitCard is a visit of a visit card redeemed on the order (prepaid cards): it
	// posts nothing itself (its ledger transaction is the card.redeem posting), its key is
	// visitKeyPrefix + the redemption's ID, and it is refunded whole by giving the visit back.
	ChannelVisitCard = "visit_card"

	StatusPending              = "pending"
	StatusAwaitingConfirmation = "awaiting_confirmation"
	StatusSucceeded            = "succeeded"
	StatusFailed               = "failed"
	StatusCanceled             = "canceled"
)

// Refund sources.
const (
	SourceAPI          = "api"
	SourceCancellation = "cancellation"
	SourceLatePayment  = "late_payment"
	SourceOverpayment  = "overpayment" // the excess of a payment that took the order past its total
	SourceStripe       = "stripe"
)

// MethodTypes are the Stripe payment method types a tenant may enable.
var MethodTypes = []string{"card", "alipay", "wechat_pay"}

// Settings are a tenant's payment rules. Mode is booking_settings.payment_mode (booking reads
// it to decide whether a new order waits for payment); the rest lives in payment_settings.
type Settings struct {
	Mode                 string // prepay, deposit, pay_after
	DepositPercent       int
	MethodTypes          []string
	UnpaidTimeoutMinutes int
	UpdatedAt            time.Time
}

// DefaultSettings are the schema's defaults.
func DefaultSettings() Settings {
	return Settings{Mode: "pay_after", DepositPercent: 30, MethodTypes: []string{"card"}, UnpaidTimeoutMinutes: 30}
}

func (s Settings) validate() error {
	var v errs.Validation
	v.Check(s.Mode == "prepay" || s.Mode == "deposit" || s.Mode == "pay_after", "payment_mode", "prepay, deposit or pay_after")
	v.Check(s.DepositPercent >= 1 && s.DepositPercent <= 100, "deposit_percent", "1 to 100")
	v.Check(len(s.MethodTypes) >= 1 && len(s.MethodTypes) <= 3, "method_types", "one to three of card, alipay, wechat_pay")
	seen := map[string]bool{}
	for i, m := range s.MethodTypes {
		v.Check(slices.Contains(MethodTypes, m) && !seen[m], "method_types["+strconv.Itoa(i)+"]", "card, alipay or wechat_pay, once each")
		seen[m] = true
	}
	v.Check(s.UnpaidTimeoutMinutes >= 1 && s.UnpaidTimeoutMinutes <= 1440, "unpaid_timeout_minutes", "1 to 1440")
	return v.Err()
}

// Payment is one payment of an order.
type Payment struct {
	ID             uuid.UUID
	OrderID        uuid.UUID
	CustomerID     uuid.UUID
	StoreID        uuid.UUID
	Kind           string
	Channel        string
	Method         string
	Amount         int64
	Currency       string
	Status         string
	Refunded       int64
	IdempotencyKey string
	IntentID       string
	ClientSecret   string
	FailureCode    string
	StaffID        uuid.UUID
	RecordedBy     string
	LedgerTxID     uuid.UUID
	PaidAt         *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Refund is one refund of (part of) a payment.
type Refund struct {
	ID             uuid.UUID
	PaymentID      uuid.UUID
	OrderID        uuid.UUID
	Amount         int64
	Currency       string
	Reason         string
	Source         string
	Status         string
	IdempotencyKey string
	RequestKey     string
	StripeRefundID string
	FailureReason  string
	LedgerTxID     uuid.UUID
	ReversalTxID   uuid.UUID
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// OrderFacts is what payments need to know about an order.
type OrderFacts struct {
	ID         uuid.UUID
	Number     string
	CustomerID uuid.UUID
	StoreID    uuid.UUID
	Status     booking.State
	Total      int64
	CancelFee  int64
	Currency   string
	CreatedAt  time.Time
}

// WebhookEvent is a recorded Stripe event.
type WebhookEvent struct {
	EventID     string
	Type        string
	Payload     []byte // the verified event: gateway.Event as JSON
	ReceivedAt  time.Time
	ProcessedAt *time.Time
	Outcome     string
}

// Repo stores payments. Every method runs in the transaction of ctx.
type Repo interface {
	// Tenant returns what customer messages show of the tenant of ctx.
	Tenant(ctx context.Context) (TenantFacts, error)
	Settings(ctx context.Context) (Settings, error)
	SaveSettings(ctx context.Context, s Settings) error

	// Order returns the order's facts, taking its row lock when lock is set (errs.NotFound).
	Order(ctx context.Context, id uuid.UUID, lock bool) (OrderFacts, error)
	// StaffOfUser returns the staff profile of a user (errs.NotFound).
	StaffOfUser(ctx context.Context, userID uuid.UUID) (uuid.UUID, error)
	// HeldBy reports whether the staff member holds or held (not released) the order's visit.
	HeldBy(ctx context.Context, orderID, staffID uuid.UUID) (bool, error)

	InsertPayment(ctx context.Context, p Payment) error
	GetPayment(ctx context.Context, id uuid.UUID, lock bool) (Payment, error)
	// OpenStripePayment returns the order's pending or failed Stripe payment of kind, locked.
	OpenStripePayment(ctx context.Context, orderID uuid.UUID, kind string) (Payment, bool, error)
	UpdatePayment(ctx context.Context, p Payment) error
	OrderPayments(ctx context.Context, orderID uuid.UUID, lock bool) ([]Payment, error)

	InsertRefund(ctx context.Context, r Refund) error
	GetRefund(ctx context.Context, id uuid.UUID, lock bool) (Refund, error)
	RefundByRequestKey(ctx context.Context, paymentID uuid.UUID, key string) (Refund, bool, error)
	RefundByStripeID(ctx context.Context, stripeID string) (Refund, bool, error)
	UpdateRefund(ctx context.Context, r Refund) error
	OrderRefunds(ctx context.Context, orderID uuid.UUID) ([]Refund, error)
	// PendingStripeRefunds lists Stripe refunds not yet answered by Stripe, oldest first.
	PendingStripeRefunds(ctx context.Context, olderThan time.Time) ([]uuid.UUID, error)

	// InsertEvent records an event once; a known event ID returns false.
	InsertEvent(ctx context.Context, e WebhookEvent) (bool, error)
	GetEvent(ctx context.Context, id string, lock bool) (WebhookEvent, error)
	MarkEvent(ctx context.Context, id, outcome string, at time.Time) error

	// OverdueUnpaid lists orders still pending payment whose unpaid timeout passed at now.
	OverdueUnpaid(ctx context.Context, now time.Time) ([]uuid.UUID, error)
}

// Orders is the booking service as payments drive it (system actor when ctx has no
// principal): confirm_payment and cancel.
type Orders interface {
	ConfirmPayment(ctx context.Context, id uuid.UUID) (booking.Order, error)
	Cancel(ctx context.Context, id uuid.UUID, reason string) (booking.Order, error)
}

// Deps are the service's collaborators.
type Deps struct {
	DB            *dbx.DB
	Repo          Repo
	Ledger        *ledger.Service
	Gateway       gateway.Gateway
	Orders        Orders
	Outbox        *jobs.Outbox
	Clock         clock.Clock // nil: the system clock
	WebhookSecret string      // Config.StripeWebhookKey; empty refuses every event
	Log           *slog.Logger
	// Attempts and Backoff tune gateway.Do (defaults 5 and 200 ms).
	Attempts int
	Backoff  time.Duration
	// StoresOf lists a franchisee's stores (org's query), for the data scope; required.
	StoresOf auth.StoresOf
}

// Service takes payments, refunds them and processes Stripe's events.
type Service struct {
	db       *dbx.DB
	repo     Repo
	ledger   *ledger.Service
	gw       gateway.Gateway
	orders   Orders
	outbox   *jobs.Outbox
	clock    clock.Clock
	secret   string
	log      *slog.Logger
	attempts int
	backoff  time.Duration
	stores   auth.StoresOf

	mu        sync.RWMutex
	intents   map[Purpose]IntentHandler
	events    map[string][]EventHandler
	refundHks []RefundHook
	paidHks   []PaidHook
	resolvers []TenantResolver
	visits    VisitReturner
}

// NewService wires the payment service.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Attempts <= 0 {
		d.Attempts = 5
	}
	if d.Backoff <= 0 {
		d.Backoff = 200 * time.Millisecond
	}
	if d.StoresOf == nil {
		panic("payment: Deps.StoresOf is required")
	}
	return &Service{db: d.DB, repo: d.Repo, ledger: d.Ledger, gw: d.Gateway, orders: d.Orders, outbox: d.Outbox, clock: d.Clock,
		secret: d.WebhookSecret, log: d.Log, attempts: d.Attempts, backoff: d.Backoff, stores: d.StoresOf,
		intents: map[Purpose]IntentHandler{}, events: map[string][]EventHandler{}}
}

// TenantResolver finds the tenant of a verified event whose object carries no tenant_id
// metadata (e.g. payout.* events of a connected account); ok false: not its event.
type TenantResolver interface {
	TenantOf(ctx context.Context, ev gateway.Event) (tenantID uuid.UUID, ok bool, err error)
}

// RegisterIntentHandler routes payment_intent.* events of purpose to h (prepaid cards).
func (s *Service) RegisterIntentHandler(p Purpose, h IntentHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.intents[p] = h
}

// RegisterEventHandler routes h.Types() to h (payouts: account.updated, transfer.*, payout.*).
func (s *Service) RegisterEventHandler(h EventHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range h.Types() {
		s.events[t] = append(s.events[t], h)
	}
}

// RegisterVisitReturner makes v (prepaid cards) give visits back when visit payments are
// refunded.
func (s *Service) RegisterVisitReturner(v VisitReturner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.visits = v
}

// AddRefundHook runs h in every refund's transaction before its posting (commission clawback).
func (s *Service) AddRefundHook(h RefundHook) {
	s.mu.Lock()
	s.refundHks = append(s.refundHks, h)
	s.mu.Unlock()
}

// AddPaidHook runs h when an order becomes fully paid (commission split).
func (s *Service) AddPaidHook(h PaidHook) {
	s.mu.Lock()
	s.paidHks = append(s.paidHks, h)
	s.mu.Unlock()
}

// AddTenantResolver adds a way to find the tenant of events without tenant metadata.
func (s *Service) AddTenantResolver(r TenantResolver) {
	s.mu.Lock()
	s.resolvers = append(s.resolvers, r)
	s.mu.Unlock()
}

// Wired reports the collaborators wiring must hand in before serving and has not: prepaid
// cards (their purchases' intents and visits given back on refunds), commission (split when
// paid, clawed back on refunds) and payouts (Connect events and their tenant). The app refuses
// to start on it.
func (s *Service) Wired() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var missing []error
	if s.intents[PurposeCardPurchase] == nil {
		missing = append(missing, errors.New("payment: no intent handler for card purchases (RegisterIntentHandler)"))
	}
	if s.visits == nil {
		missing = append(missing, errors.New("payment: no visit returner (RegisterVisitReturner)"))
	}
	if len(s.paidHks) == 0 {
		missing = append(missing, errors.New("payment: no paid hook (AddPaidHook)"))
	}
	if len(s.refundHks) == 0 {
		missing = append(missing, errors.New("payment: no refund hook (AddRefundHook)"))
	}
	if len(s.events) == 0 {
		missing = append(missing, errors.New("payment: no event handler (RegisterEventHandler)"))
	}
	if len(s.resolvers) == 0 {
		missing = append(missing, errors.New("payment: no tenant resolver (AddTenantResolver)"))
	}
	return errors.Join(missing...)
}

// Settings returns the tenant's payment settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var out Settings
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.Settings(ctx)
		return err
	})
	return out, err
}

// SetSettings replaces the tenant's payment settings (head office: payments:configure has
// tenant scope only). The mode is written to booking_settings.payment_mode.
func (s *Service) SetSettings(ctx context.Context, in Settings) (Settings, error) {
	if err := in.validate(); err != nil {
		return Settings{}, err
	}
	if p, ok := auth.FromContext(ctx); ok && p.Kind != auth.Operator && p.Scope != auth.ScopeTenant {
		return Settings{}, errs.New(errs.Forbidden, "out_of_scope", "only head office may change payment settings")
	}
	in.UpdatedAt = s.clock.Now()
	err := s.db.InTx(ctx, func(ctx context.Context) error { return s.repo.SaveSettings(ctx, in) })
	return in, err
}

// call runs a gateway call with retries under one idempotency key.
func call[T any](ctx context.Context, s *Service, f func(context.Context) (T, error)) (T, error) {
	return gateway.Do(ctx, s.attempts, s.backoff, f)
}

// inScope refuses an order outside a staff-side caller's data scope (customers: their own).
func (s *Service) inScope(ctx context.Context, o OrderFacts) error {
	if p, ok := auth.FromContext(ctx); ok && p.Kind == auth.Customer {
		if o.CustomerID == p.SubjectID {
			return nil
		}
		return ErrOrderNotFound
	}
	ok, err := auth.ReachesStore(ctx, o.StoreID, s.stores)
	if err != nil || ok {
		return err
	}
	return ErrOrderNotFound
}

// order loads (and locks) an order the caller may reach.
func (s *Service) order(ctx context.Context, id uuid.UUID, lock bool) (OrderFacts, error) {
	o, err := s.repo.Order(ctx, id, lock)
	if errs.KindOf(err) == errs.NotFound {
		return OrderFacts{}, ErrOrderNotFound
	}
	if err != nil {
		return OrderFacts{}, err
	}
	return o, s.inScope(ctx, o)
}

// OrderMoney is an order's payments and refunds.
type OrderMoney struct {
	Payments []Payment
	Refunds  []Refund
	Paid     int64 // succeeded payments
	Refunded int64 // refunds not failed
}

// ForOrder lists an order's payments and refunds (staff in scope, or the order's customer).
func (s *Service) ForOrder(ctx context.Context, orderID uuid.UUID) (OrderMoney, error) {
	var out OrderMoney
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.order(ctx, orderID, false); err != nil {
			return err
		}
		ps, err := s.repo.OrderPayments(ctx, orderID, false)
		if err != nil {
			return err
		}
		rs, err := s.repo.OrderRefunds(ctx, orderID)
		if err != nil {
			return err
		}
		out = OrderMoney{Payments: ps, Refunds: rs}
		for _, p := range ps {
			if p.Status == StatusSucceeded {
				out.Paid += p.Amount
				out.Refunded += p.Refunded
			}
		}
		return nil
	})
	return out, err
}

// paidOf sums an order's succeeded payments. A visit payment given back (refunded, always
// whole) no longer counts: the order owes again and may take another visit or payment, while
// money refunds (a store's decision) leave the order paid.
func paidOf(ps []Payment) int64 {
	var n int64
	for _, p := range ps {
		switch {
		case p.Status != StatusSucceeded:
		case p.Channel == ChannelVisitCard:
			n += p.Amount - p.Refunded
		default:
			n += p.Amount
		}
	}
	return n
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
