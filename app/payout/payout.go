// Package payout owns paying staff members and franchisees: their Stripe Connect Express
// accounts (onboarding through account links, state from account.updated events), their
// wallets (available, pending and withdrawing balances read from the ledger, and statements),
// the tenant's withdrawal rules (minimum, fee, daily limit), withdrawal requests, finance's
// approval or rejection, and the transfer to the connected account, whose definitive failure
// returns the money. Every step is a status history row the requester sees and an inbox
// message. Stripe's payouts of the connected accounts' balances to the owners' banks (payout.*
// events) are recorded for the owner to see, and a failed one tells them; they post nothing.
// Postings follow docs/money.md: payout.request, payout.paid, payout.reversed (a partial
// reversal of the transfer), payout.failed.
package payout

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/ledger"
	"doorstep/app/payment/gateway"
	"doorstep/jobs"
)

// Errors with stable codes (docs/problems.md, "Payouts").
var (
	ErrNoWallet           = errs.New(errs.Forbidden, "no_wallet", "your account has no wallet: it is neither a staff member's nor a franchisee owner's")
	ErrAccountNotReady    = errs.New(errs.Conflict, "payout_account_not_ready", "finish setting up your payout account before withdrawing")
	ErrWithdrawalNotFound = errs.New(errs.NotFound, "withdrawal_not_found", "no such withdrawal")
	ErrNotPending         = errs.New(errs.Conflict, "withdrawal_not_pending", "the withdrawal has been decided already")
	ErrTenantScopeOnly    = errs.New(errs.Forbidden, "out_of_scope", "withdrawals are decided for the whole tenant")
	ErrProcessor          = errs.New(errs.Unavailable, "payment_processor_unavailable", "the payment processor did not answer; try again")
	ErrAccountNotFound    = errs.New(errs.NotFound, "payout_account_not_found", "no payout account")
	ErrKeyReused          = errs.New(errs.Invalid, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
)

// OwnerKind is whose wallet it is.
type OwnerKind string

const (
	OwnerStaff      OwnerKind = "staff"
	OwnerFranchisee OwnerKind = "franchisee"
)

// Owner is a wallet's owner: a staff member or a franchisee.
type Owner struct {
	Kind OwnerKind
	ID   uuid.UUID
}

// Ledger is the owner in the book.
func (o Owner) Ledger() ledger.Owner {
	if o.Kind == OwnerFranchisee {
		return ledger.Franchisee(o.ID)
	}
	return ledger.Staff(o.ID)
}

// AccountState is a connected account's state.
type AccountState string

const (
	AccountPending    AccountState = "pending"    // created, onboarding not finished
	AccountEnabled    AccountState = "enabled"    // Stripe pays out to it
	AccountRestricted AccountState = "restricted" // details submitted, but payouts are disabled
)

// Account is an owner's connected account.
type Account struct {
	ID               uuid.UUID
	Owner            Owner
	Key              string // idempotency key of the account's creation, saved before the call
	StripeID         string
	State            AccountState
	PayoutsEnabled   bool
	ChargesEnabled   bool
	DetailsSubmitted bool
	DisabledReason   string
	StripeUpdatedAt  *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Settings are the tenant's withdrawal rules, in minor units of the tenant's currency.
type Settings struct {
	MinAmount  int64
	FeeFixed   int64
	FeeBP      int // basis points of the amount
	DailyLimit int64
	UpdatedBy  string
	UpdatedAt  time.Time
}

// DefaultSettings apply until the tenant saves its own.
func DefaultSettings() Settings {
	return Settings{MinAmount: 1000, FeeFixed: 0, FeeBP: 0, DailyLimit: 5_000_000}
}

// Fee is what a withdrawal of amount costs: the fixed part plus FeeBP of it, rounded half up.
func (s Settings) Fee(amount int64) int64 {
	return s.FeeFixed + (amount*int64(s.FeeBP)+5000)/10000
}

// Status is a withdrawal's state.
type Status string

const (
	Requested Status = "requested"
	Approved  Status = "approved"
	Paid      Status = "paid"
	Failed    Status = "failed"
	Rejected  Status = "rejected"
)

// Withdrawal is a request to move money from a wallet to the owner's connected account.
type Withdrawal struct {
	ID           uuid.UUID
	Owner        Owner
	AccountID    uuid.UUID
	StripeID     string // the connected account (read with the row)
	Amount       int64  // leaves available
	Fee          int64  // to HQ/fees
	Currency     string
	Status       Status
	Day          string // YYYY-MM-DD in the tenant's time zone, for the daily limit
	RequestedBy  uuid.UUID
	RequestKey   string // the requester's Idempotency-Key (unique per requester); empty: none
	RequestTxID  uuid.UUID
	PaidTxID     uuid.UUID
	ReversalTxID uuid.UUID
	FailedTxID   uuid.UUID
	TransferKey  string
	TransferID   string
	Reversed     int64 // of the net, returned to available by partial transfer reversals (payout.reversed)
	Reason       string
	DecidedBy    string
	DecidedAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	History      []Event
}

// Net is what is transferred.
func (w Withdrawal) Net() int64 { return w.Amount - w.Fee }

// Event is one step of a withdrawal's history.
type Event struct {
	Seq    int
	Status Status
	Reason string
	Actor  string
	At     time.Time
}

// TenantFacts are what payouts need to know about the tenant.
type TenantFacts struct {
	Currency string
	TimeZone string
	Brand    string
	Locale   string
}

// Filter selects withdrawals.
type Filter struct {
	Owner  *Owner
	Status Status
}

// Repo stores payouts. Every method runs in the transaction of ctx.
type Repo interface {
	Tenant(ctx context.Context) (TenantFacts, error)
	// Settings returns the tenant's settings, DefaultSettings when none were saved.
	Settings(ctx context.Context) (Settings, error)
	SaveSettings(ctx context.Context, s Settings) error
	// Account returns owner's account (ErrAccountNotFound), locking it when lock is set.
	Account(ctx context.Context, owner Owner, lock bool) (Account, error)
	// AccountByStripeID returns the account of a Stripe account id, locked.
	AccountByStripeID(ctx context.Context, stripeID string) (Account, error)
	// AccountByID returns an account by its row id, locked.
	AccountByID(ctx context.Context, id uuid.UUID) (Account, error)
	// InsertAccount adds a (unless the owner has one already).
	InsertAccount(ctx context.Context, a Account) error
	// SaveAccount writes the Stripe facts of a (stripe_account_id only when it was unset).
	SaveAccount(ctx context.Context, a Account) error
	// InsertWithdrawal adds w; a second withdrawal under the requester's Idempotency-Key
	// violates withdrawals_request_key.
	InsertWithdrawal(ctx context.Context, w Withdrawal) error
	// WithdrawalByRequestKey finds the withdrawal a user requested under an Idempotency-Key.
	WithdrawalByRequestKey(ctx context.Context, requestedBy uuid.UUID, key string) (Withdrawal, bool, error)
	// Withdrawal returns one withdrawal with its history, locking the row when lock is set.
	Withdrawal(ctx context.Context, id uuid.UUID, lock bool) (Withdrawal, error)
	// SaveWithdrawal writes w's state, decision, transfer and reversed amount.
	SaveWithdrawal(ctx context.Context, w Withdrawal) error
	AddEvent(ctx context.Context, withdrawalID uuid.UUID, e Event) error
	List(ctx context.Context, f Filter, p page.Request) (page.Result[Withdrawal], error)
	// DayTotal sums owner's withdrawals of day that hold or moved money (not rejected or failed).
	DayTotal(ctx context.Context, owner Owner, day string) (int64, error)
	// TenantOfStripeAccount finds the tenant a connected account was recorded in (a platform
	// lookup: ctx carries no tenant).
	TenantOfStripeAccount(ctx context.Context, stripeID string) (uuid.UUID, bool, error)
	// BankPayout returns the bank payout of a Stripe payout id, locking it when lock is set.
	BankPayout(ctx context.Context, stripeID string, lock bool) (BankPayout, bool, error)
	// InsertBankPayout adds p (the caller holds its account's row lock).
	InsertBankPayout(ctx context.Context, p BankPayout) error
	// SaveBankPayout writes p's Stripe facts.
	SaveBankPayout(ctx context.Context, p BankPayout) error
	// BankPayouts lists an account's latest bank payouts, newest first.
	BankPayouts(ctx context.Context, accountID uuid.UUID, limit int) ([]BankPayout, error)
	// OwnerUsers are the users who own a wallet: a staff member's account, or a franchisee's
	// franchisee-level accounts (not tied to one of its stores).
	OwnerUsers(ctx context.Context, owner Owner) ([]uuid.UUID, error)
	// Stuck lists withdrawals still approved that were decided before cutoff (at most 500).
	Stuck(ctx context.Context, cutoff time.Time) ([]uuid.UUID, error)
}

// Self tells the caller's own staff profile (errs.NotFound when they have none).
type Self interface {
	MyStaffID(ctx context.Context) (uuid.UUID, error)
}

// Retry is how the service retries a processor call that timed out, with the same key.
type Retry struct {
	Attempts int
	Backoff  time.Duration
}

// Deps are the service's collaborators.
type Deps struct {
	DB      *dbx.DB
	Repo    Repo
	Ledger  *ledger.Service
	Gateway gateway.Gateway
	Outbox  *jobs.Outbox // nil: approvals enqueue nothing and nobody is notified (tests of parts)
	Self    Self
	Clock   clock.Clock
	Retry   Retry // zero: 4 attempts, 200 ms backoff
}

// Service runs payouts.
type Service struct {
	db     *dbx.DB
	repo   Repo
	ledger *ledger.Service
	gw     gateway.Gateway
	outbox *jobs.Outbox
	self   Self
	clock  clock.Clock
	retry  Retry
}

// NewService wires payouts.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Retry.Attempts <= 0 {
		d.Retry = Retry{Attempts: 4, Backoff: 200 * time.Millisecond}
	}
	return &Service{db: d.DB, repo: d.Repo, ledger: d.Ledger, gw: d.Gateway, outbox: d.Outbox, self: d.Self, clock: d.Clock, retry: d.Retry}
}

// walletKey carries which of their wallets the caller means (WithWallet).
type walletKey struct{}

// WithWallet says which of the caller's wallets the /me operations mean: OwnerStaff or
// OwnerFranchisee; "" (the default) is the franchisee's for a franchisee-scoped account, else
// the caller's own. A franchisee owner who also works as staff reaches both this way.
func WithWallet(ctx context.Context, kind OwnerKind) context.Context {
	return context.WithValue(ctx, walletKey{}, kind)
}

// mine is the caller's wallet owner: by default a franchisee-scoped account owns its
// franchisee's wallet and anyone else with a staff profile their own; WithWallet picks one.
func (s *Service) mine(ctx context.Context) (Owner, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.User {
		return Owner{}, ErrNoWallet
	}
	want, _ := ctx.Value(walletKey{}).(OwnerKind)
	franchisee := p.Scope == auth.ScopeFranchisee && p.FranchiseeID != uuid.Nil
	switch {
	case want == OwnerFranchisee && !franchisee:
		return Owner{}, ErrNoWallet
	case franchisee && want != OwnerStaff:
		return Owner{Kind: OwnerFranchisee, ID: p.FranchiseeID}, nil
	}
	if s.self == nil {
		return Owner{}, ErrNoWallet
	}
	id, err := s.self.MyStaffID(ctx)
	if errs.KindOf(err) == errs.NotFound || errs.KindOf(err) == errs.Forbidden || (err == nil && id == uuid.Nil) {
		return Owner{}, ErrNoWallet
	}
	if err != nil {
		return Owner{}, err
	}
	return Owner{Kind: OwnerStaff, ID: id}, nil
}
