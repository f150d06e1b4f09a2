// Package commission owns the tenant's commission rules (F8.3) — versioned platform fee, HQ
// royalty, staff commission by service, category and level (percentage or fixed, with a rating
// bonus) and the marketplace take rate — and their effect on the ledger: the split of every
// completed and fully paid order into pending shares, settlement after the tenant's holding
// period, and clawbacks on refunds (docs/money.md). A split is stored line by line, so every
// share can be explained: whose, which rule version and line, which rate.
package commission

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment"
	"doorstep/jobs"
)

// Errors with stable codes (docs/problems.md, "Commission").
var (
	ErrRulesNotFound   = errs.New(errs.NotFound, "commission_rules_not_found", "no such commission rules version")
	ErrSplitNotFound   = errs.New(errs.NotFound, "commission_split_not_found", "this order has not been split")
	ErrOrderNotFound   = errs.New(errs.NotFound, "order_not_found", "no such order")
	ErrPublishConflict = errs.New(errs.Conflict, "commission_publish_conflict", "another version was published at the same time; publish again")
	// ErrRefundNotFound is internal: the refund hook never saw this refund.
	ErrRefundNotFound = errs.New(errs.NotFound, "commission_refund_not_found", "this refund was not seen by commission")
	// ErrRefundSeen is internal: the refund was handled before (a retry of the refund).
	ErrRefundSeen = errs.New(errs.Conflict, "commission_refund_seen", "this refund was handled before")
)

// Split statuses.
const (
	StatusPending = "pending"
	StatusSettled = "settled"
)

// Settings are the tenant's commission settings.
type Settings struct {
	HoldingDays int // T+N: a split made on local day D is released on day D+N
	UpdatedAt   time.Time
}

// DefaultSettings apply until a tenant saves its own.
var DefaultSettings = Settings{HoldingDays: 7}

// Split is one order's split.
type Split struct {
	ID            uuid.UUID
	OrderID       uuid.UUID
	RuleVersionID uuid.UUID // uuid.Nil: no rules were published
	RuleVersion   int
	StoreID       uuid.UUID
	FranchiseeID  uuid.UUID
	StaffID       uuid.UUID
	Total         int64 // the order value split (paid, less refunds before the split)
	Refunded      int64 // refunds after the split, clawed back
	Currency      string
	Status        string
	LedgerTxID    uuid.UUID
	SettleTxID    uuid.UUID // uuid.Nil when nothing was left to settle
	CreatedAt     time.Time
	SettledAt     *time.Time
	Lines         []Line
}

// Refund is a refund of an order as the clawback saw it.
type Refund struct {
	RefundID   uuid.UUID
	OrderID    uuid.UUID
	Amount     int64
	SplitID    uuid.UUID // uuid.Nil: refunded before the split
	LedgerTxID uuid.UUID // the clawback posting (uuid.Nil: nothing to claw back, or clawed in the split)
	CreatedAt  time.Time
	FailedAt   *time.Time // the refund failed: it no longer counts
	// ReversalTxID is the posting that gave its clawback back (uuid.Nil: nothing to give).
	ReversalTxID uuid.UUID
}

// Repo stores rules and splits. Every method runs in the transaction of ctx.
type Repo interface {
	// InsertRules writes r with the next version number (a concurrent publish is ErrPublishConflict).
	InsertRules(ctx context.Context, r *Rules) error
	ListRules(ctx context.Context, limit int) ([]Rules, error)
	GetRules(ctx context.Context, id uuid.UUID) (Rules, error)
	// RulesAt returns the version in effect at t (latest effective_from ≤ t), or nil.
	RulesAt(ctx context.Context, t time.Time) (*Rules, error)
	Settings(ctx context.Context) (Settings, error)
	SaveSettings(ctx context.Context, s Settings) error
	// Order locks the order row and returns its facts (ErrOrderNotFound).
	Order(ctx context.Context, id uuid.UUID) (OrderFacts, error)
	MarkPaid(ctx context.Context, orderID uuid.UUID, at time.Time) error
	// RefundedBeforeSplit sums the order's standing (not failed) refunds recorded without a split.
	RefundedBeforeSplit(ctx context.Context, orderID uuid.UUID) (int64, error)
	// AttachRefunds attaches the order's refunds recorded without a split to the split.
	AttachRefunds(ctx context.Context, orderID, splitID uuid.UUID) error
	// RefundedOnSplit sums the split's standing (not failed) refunds.
	RefundedOnSplit(ctx context.Context, splitID uuid.UUID) (int64, error)
	// Refund returns a refund as the clawback saw it, locked (ErrRefundNotFound).
	Refund(ctx context.Context, refundID uuid.UUID) (Refund, error)
	MarkRefundFailed(ctx context.Context, refundID uuid.UUID, at time.Time) error
	SetRefundReversalTx(ctx context.Context, refundID, txID uuid.UUID) error
	InsertSplit(ctx context.Context, s Split) error
	// Split returns the order's split with its lines (ErrSplitNotFound), locked when lock.
	Split(ctx context.Context, orderID uuid.UUID, lock bool) (Split, error)
	// ResizeSplit saves a grown split: its total, refunded total and every line (new ones added).
	ResizeSplit(ctx context.Context, s Split) error
	// SaveSplit saves the status, settlement, refunded total and lines' clawed-back amounts.
	SaveSplit(ctx context.Context, s Split) error
	// InsertRefund records a refund once (ErrRefundSeen the second time).
	InsertRefund(ctx context.Context, r Refund) error
	// SetRefundTx records the clawback's ledger transaction on the refund.
	SetRefundTx(ctx context.Context, refundID, txID uuid.UUID) error
	// DueSplits lists orders whose pending splits' holding period is over at now, in the
	// tenant's time zone.
	DueSplits(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error)
	// LockBalance locks a ledger account's balance row for this transaction and returns the
	// balance (zero when the account was never used).
	LockBalance(ctx context.Context, a ledger.Account) (int64, error)
}

// Deps are the service's collaborators.
type Deps struct {
	DB     *dbx.DB
	Repo   Repo
	Ledger *ledger.Service
	Outbox *jobs.Outbox // nil: no split tasks are enqueued (store tests)
	Clock  clock.Clock  // nil: the system clock
	Log    *slog.Logger // nil: slog.Default()
	// StoresOf lists a franchisee's stores (org's query), for the data scope; required.
	StoresOf auth.StoresOf
}

// Service runs commission rules, splits, settlements and clawbacks.
type Service struct {
	db     *dbx.DB
	repo   Repo
	ledger *ledger.Service
	outbox *jobs.Outbox
	clock  clock.Clock
	log    *slog.Logger
	stores auth.StoresOf
}

// The payment area calls these hooks (handed in at wiring).
var (
	_ payment.PaidHook   = (*Service)(nil)
	_ payment.RefundHook = (*Service)(nil)
)

// NewService wires the commission service.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.StoresOf == nil {
		panic("commission: Deps.StoresOf is required")
	}
	return &Service{db: d.DB, repo: d.Repo, ledger: d.Ledger, outbox: d.Outbox, clock: d.Clock, log: d.Log, stores: d.StoresOf}
}

// Publish creates the next immutable version of the rules.
func (s *Service) Publish(ctx context.Context, n NewRules) (Rules, error) {
	now := s.clock.Now()
	if err := n.validate(now); err != nil {
		return Rules{}, err
	}
	if n.EffectiveFrom.IsZero() || n.EffectiveFrom.Before(now) {
		n.EffectiveFrom = now
	}
	lines := n.StaffLines
	if lines == nil {
		lines = []StaffLine{}
	}
	r := Rules{ID: uuid.Must(uuid.NewV7()), EffectiveFrom: n.EffectiveFrom, PlatformFeeBP: n.PlatformFeeBP, RoyaltyBP: n.RoyaltyBP,
		MarketplaceTakeBP: n.MarketplaceTakeBP, StaffLines: lines, Note: n.Note, CreatedBy: auth.Subject(ctx), CreatedAt: now}
	err := s.db.InTx(ctx, func(ctx context.Context) error { return s.repo.InsertRules(ctx, &r) })
	return r, err
}

// Versions lists the published versions, newest first (at most 100).
func (s *Service) Versions(ctx context.Context) ([]Rules, error) {
	var out []Rules
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.ListRules(ctx, 100)
		return err
	})
	return out, err
}

// Version returns one version.
func (s *Service) Version(ctx context.Context, id uuid.UUID) (Rules, error) {
	var out Rules
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.GetRules(ctx, id)
		return err
	})
	return out, err
}

// Settings returns the tenant's settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var out Settings
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.Settings(ctx)
		return err
	})
	return out, err
}

// SaveSettings replaces the tenant's settings.
func (s *Service) SaveSettings(ctx context.Context, in Settings) (Settings, error) {
	var v errs.Validation
	v.Check(in.HoldingDays >= 0 && in.HoldingDays <= 90, "holding_days", "0 to 90 days")
	if err := v.Err(); err != nil {
		return Settings{}, err
	}
	in.UpdatedAt = s.clock.Now()
	err := s.db.InTx(ctx, func(ctx context.Context) error { return s.repo.SaveSettings(ctx, in) })
	return in, err
}

// SplitOf returns an order's split, explained line by line, when the order is in the
// caller's data scope.
func (s *Service) SplitOf(ctx context.Context, orderID uuid.UUID) (Split, error) {
	var out Split
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		sp, err := s.repo.Split(ctx, orderID, false)
		if err != nil {
			return err
		}
		if err := s.inScope(ctx, sp.StoreID); err != nil {
			return err
		}
		out = sp
		return nil
	})
	return out, err
}

func (s *Service) inScope(ctx context.Context, storeID uuid.UUID) error {
	ok, err := auth.ReachesStore(ctx, storeID, s.stores)
	if err != nil || ok {
		return err
	}
	return ErrSplitNotFound
}
