// Package ledger is Doorstep's double-entry book (DESIGN.md, Money). Every movement of money,
// stored value, points or visits is one Transaction: two or more entries whose amounts sum to
// zero per asset, posted all or nothing in the caller's database transaction.
//
// Sign convention: an entry's amount is what it adds to its account's balance, seen from the
// account's owner. A customer paying 100 by card is External(clearing) −100, HQ(order_funds)
// +100; a customer spending stored value is Customer(stored_value) −100, HQ(stored_value_issued)
// +100. Accounts whose purpose is non-negative (wallets, stored value, visits, points) can never
// go below zero: the database's check constraint decides under the row lock of the balance
// update, so concurrent spends cannot overdraw. Transactions are append-only; a correction is a
// reversing transaction (Reverse), never an edit.
package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

// Errors with stable codes (docs/problems.md, "Ledger").
var (
	// ErrInsufficient: a non-negative account would go below zero.
	ErrInsufficient = errs.New(errs.Conflict, "insufficient_balance", "the balance is too low for this operation")
	// ErrKeyConflict: an idempotency key was reused for a different transaction.
	ErrKeyConflict = errs.New(errs.Conflict, "ledger_key_reused", "this idempotency key was used for a different ledger transaction")
	// ErrNotFound: no such ledger transaction.
	ErrNotFound = errs.New(errs.NotFound, "ledger_transaction_not_found", "no such ledger transaction")
	// ErrAlreadyReversed: the transaction has been reversed before.
	ErrAlreadyReversed = errs.New(errs.Conflict, "ledger_already_reversed", "this ledger transaction has been reversed already")
)

// OwnerKind is who an account belongs to.
type OwnerKind string

const (
	OwnerPlatform   OwnerKind = "platform"   // the SaaS owner's share inside this tenant's books
	OwnerHQ         OwnerKind = "hq"         // the tenant's head office
	OwnerFranchisee OwnerKind = "franchisee" // a franchisee (owner of stores)
	OwnerStore      OwnerKind = "store"      // a store
	OwnerStaff      OwnerKind = "staff"      // a staff member or self-employed provider
	OwnerCustomer   OwnerKind = "customer"   // a customer
	OwnerExternal   OwnerKind = "external"   // the outside world: card networks, cash, banks
)

// Owner names an account's owner; ID is uuid.Nil for the platform, HQ and the outside world.
type Owner struct {
	Kind OwnerKind
	ID   uuid.UUID
}

func Platform() Owner               { return Owner{Kind: OwnerPlatform} }
func HQ() Owner                     { return Owner{Kind: OwnerHQ} }
func External() Owner               { return Owner{Kind: OwnerExternal} }
func Franchisee(id uuid.UUID) Owner { return Owner{Kind: OwnerFranchisee, ID: id} }
func Store(id uuid.UUID) Owner      { return Owner{Kind: OwnerStore, ID: id} }
func Staff(id uuid.UUID) Owner      { return Owner{Kind: OwnerStaff, ID: id} }
func Customer(id uuid.UUID) Owner   { return Owner{Kind: OwnerCustomer, ID: id} }
func (o Owner) String() string      { return fmt.Sprintf("%s:%s", o.Kind, o.ID) }
func (o Owner) shared() bool {
	return o.Kind == OwnerPlatform || o.Kind == OwnerHQ || o.Kind == OwnerExternal
}
func (o Owner) valid() bool     { return o.shared() == (o.ID == uuid.Nil) && o.kindKnown() }
func (o Owner) kindKnown() bool { return slices.Contains(ownerKinds, o.Kind) }
func (o Owner) Account(p Purpose, asset string) Account {
	return Account{Owner: o, Purpose: p, Asset: asset}
}

var ownerKinds = []OwnerKind{OwnerPlatform, OwnerHQ, OwnerFranchisee, OwnerStore, OwnerStaff, OwnerCustomer, OwnerExternal}

// Purpose is what an account holds for its owner. The chart below is the whole list; a new
// purpose is added here, with whether it may go negative.
type Purpose string

const (
	// Clearing is the outside world's side of money coming in or going out (External owner):
	// card networks (Stripe), cash, bank transfers. It goes negative as money comes in.
	Clearing Purpose = "clearing"
	// OrderFunds is money received for orders and not yet split (HQ).
	OrderFunds Purpose = "order_funds"
	// CardFunds is money received for prepaid cards, not yet earned (HQ: deferred revenue).
	CardFunds Purpose = "card_funds"
	// Revenue is earned income after the split (HQ, franchisee, store, platform).
	Revenue Purpose = "revenue"
	// Pending is an earned share inside the holding period (staff, franchisee, platform).
	Pending Purpose = "pending"
	// Available is a withdrawable wallet balance (staff, franchisee).
	Available Purpose = "available"
	// Withdrawing holds money of a payout in flight (staff, franchisee).
	Withdrawing Purpose = "withdrawing"
	// Fees is fees charged, e.g. withdrawal fees (HQ, platform).
	Fees Purpose = "fees"
	// StoredValue is a customer's stored-value balance (asset stored_value).
	StoredValue Purpose = "stored_value"
	// StoredValueIssued is the issuer's side of stored value (HQ; asset stored_value); it goes
	// negative by what customers hold.
	StoredValueIssued Purpose = "stored_value_issued"
	// Visits is a customer's remaining visits of a visit card (asset visits).
	Visits Purpose = "visits"
	// VisitsIssued is the issuer's side of visits (HQ; asset visits).
	VisitsIssued Purpose = "visits_issued"
	// Points is a customer's points (asset points).
	Points Purpose = "points"
	// PointsIssued is the issuer's side of points (HQ; asset points).
	PointsIssued Purpose = "points_issued"
	// Receivable is what a staff member or franchisee owes back (a clawback larger than their
	// available balance); negative is the debt, seen from the owner. Later settlements repay it.
	Receivable Purpose = "receivable"
)

// nonNegative is the chart: which purposes may never go below zero.
var nonNegative = map[Purpose]bool{
	Clearing: false, OrderFunds: false, CardFunds: false, Revenue: false, Pending: false, Fees: false,
	Available: true, Withdrawing: true, StoredValue: true, Visits: true, Points: true,
	StoredValueIssued: false, VisitsIssued: false, PointsIssued: false,
	Receivable: false,
}

// Assets that are not currencies.
const (
	AssetStoredValue = "stored_value" // minor units of the tenant's currency, as stored value
	AssetPoints      = "points"
	AssetVisits      = "visits"
)

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

func validAsset(a string) bool {
	return currencyRE.MatchString(a) || a == AssetStoredValue || a == AssetPoints || a == AssetVisits
}

// Account names an account; accounts are opened on first use.
type Account struct {
	Owner   Owner
	Purpose Purpose
	Asset   string
}

// NonNegative reports whether the account may never go below zero.
func (a Account) NonNegative() bool { return nonNegative[a.Purpose] }

func (a Account) String() string { return fmt.Sprintf("%s/%s/%s", a.Owner, a.Purpose, a.Asset) }

func (a Account) compare(b Account) int {
	return cmp.Or(cmp.Compare(a.Owner.Kind, b.Owner.Kind), slices.Compare(a.Owner.ID[:], b.Owner.ID[:]),
		cmp.Compare(a.Purpose, b.Purpose), cmp.Compare(a.Asset, b.Asset))
}

// Entry is one line of a transaction: Amount is added to the account's balance.
type Entry struct {
	Account Account
	Amount  int64
}

// Ref names the business object a transaction belongs to (an order, a refund, a payout …).
type Ref struct {
	Kind string
	ID   uuid.UUID
}

// Transaction is a posted (or to be posted) set of entries.
type Transaction struct {
	ID        uuid.UUID
	Kind      string // e.g. "payment", "refund", "card.purchase", "commission.split"
	Ref       Ref
	Key       string // idempotency key, unique per tenant; required
	Memo      string
	CreatedBy string
	Reverses  uuid.UUID // set on reversing transactions
	Entries   []Entry
	CreatedAt time.Time
}

// Balance is an account with its current balance.
type Balance struct {
	Account   Account
	ID        uuid.UUID
	Balance   int64
	UpdatedAt time.Time
}

// Mismatch is one finding of Check.
type Mismatch struct {
	Kind      string // "balance" (cached ≠ postings), "unbalanced" (a transaction's asset sum ≠ 0), "negative"
	AccountID uuid.UUID
	TxID      uuid.UUID
	Asset     string
	Cached    int64 // the account's cached balance (balance, negative)
	Computed  int64 // the sum of its postings (balance), or the transaction's sum (unbalanced)
}

// Filter selects transactions or postings.
type Filter struct {
	Owner *Owner
	Ref   *Ref
	From  time.Time
	To    time.Time
	Limit int
}

// Posting is an entry as stored, with its transaction's facts, for statements.
type Posting struct {
	TxID      uuid.UUID
	Kind      string
	Ref       Ref
	Memo      string
	Account   Account
	Amount    int64
	CreatedAt time.Time
}

// Repo keeps the ledger. Every method runs in the transaction of ctx.
type Repo interface {
	// FindByKey returns the transaction posted under key, or ErrNotFound.
	FindByKey(ctx context.Context, key string) (Transaction, error)
	// Get returns a transaction with its entries, or ErrNotFound.
	Get(ctx context.Context, id uuid.UUID) (Transaction, error)
	// Insert writes the transaction and its postings and adds each account's net amount to its
	// balance, opening accounts as needed and updating them in the order given (callers sort
	// them, so concurrent posters lock in one order). A non-negative account going below zero
	// is ErrInsufficient; a concurrent insert of the same key is ErrKeyConflict.
	Insert(ctx context.Context, t Transaction, nets []Entry) error
	// Balances returns the named accounts' balances (absent accounts are zero and omitted).
	Balances(ctx context.Context, accounts []Account) ([]Balance, error)
	// OwnerBalances returns every account of owner.
	OwnerBalances(ctx context.Context, owner Owner) ([]Balance, error)
	// Postings lists postings, newest first.
	Postings(ctx context.Context, f Filter) ([]Posting, error)
	// Check recomputes balances and transaction sums from the postings.
	Check(ctx context.Context) ([]Mismatch, error)
}

// Service posts and reads the ledger.
type Service struct {
	db    *dbx.DB
	store Repo
	now   func() time.Time
}

// New returns the service; now is the clock (time.Now in production).
func New(db *dbx.DB, store Repo, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, store: store, now: now}
}

// Post writes t, all entries or none, in the transaction of ctx (or a new one). A key already
// posted returns the earlier transaction unchanged when it matches t (same kind, ref and
// entries), which makes retries safe; otherwise ErrKeyConflict. Programming errors (an
// unbalanced or malformed transaction) are internal errors, not client errors.
func (s *Service) Post(ctx context.Context, t Transaction) (Transaction, error) {
	if err := validate(t); err != nil {
		return Transaction{}, err
	}
	nets := netByAccount(t.Entries)
	var out Transaction
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := dbx.RequireTenant(ctx); err != nil {
			return err
		}
		prev, err := s.store.FindByKey(ctx, t.Key)
		switch {
		case err == nil:
			if !samePosting(prev, t) {
				return ErrKeyConflict
			}
			out = prev
			return nil
		case !errors.Is(err, ErrNotFound):
			return err
		}
		t.ID = uuid.Must(uuid.NewV7())
		t.CreatedAt = s.now()
		if err := s.store.Insert(ctx, t, nets); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

// Reverse posts the exact opposite of transaction id under key (one reversal per transaction).
func (s *Service) Reverse(ctx context.Context, id uuid.UUID, key, memo, by string) (Transaction, error) {
	return s.reverse(ctx, id, nil, key, memo, by)
}

// ReverseFor is Reverse referencing ref (the business object that undoes it, e.g. the refund
// giving a card visit back) instead of the original's ref.
func (s *Service) ReverseFor(ctx context.Context, id uuid.UUID, ref Ref, key, memo, by string) (Transaction, error) {
	return s.reverse(ctx, id, &ref, key, memo, by)
}

func (s *Service) reverse(ctx context.Context, id uuid.UUID, ref *Ref, key, memo, by string) (Transaction, error) {
	var out Transaction
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		orig, err := s.store.Get(ctx, id)
		if err != nil {
			return err
		}
		rev := Transaction{Kind: orig.Kind + ".reversal", Ref: orig.Ref, Key: key, Memo: memo, CreatedBy: by, Reverses: orig.ID}
		if ref != nil {
			rev.Ref = *ref
		}
		for _, e := range orig.Entries {
			rev.Entries = append(rev.Entries, Entry{Account: e.Account, Amount: -e.Amount})
		}
		out, err = s.Post(ctx, rev)
		return err
	})
	return out, err
}

// Get returns a transaction with its entries.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Transaction, error) {
	var out Transaction
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.store.Get(ctx, id)
		return err
	})
	return out, err
}

// Balance returns one account's balance (zero when it was never used).
func (s *Service) Balance(ctx context.Context, a Account) (int64, error) {
	var bs []Balance
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		bs, err = s.store.Balances(ctx, []Account{a})
		return err
	})
	if err != nil || len(bs) == 0 {
		return 0, err
	}
	return bs[0].Balance, nil
}

// Balances returns every account of owner.
func (s *Service) Balances(ctx context.Context, owner Owner) ([]Balance, error) {
	var bs []Balance
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		bs, err = s.store.OwnerBalances(ctx, owner)
		return err
	})
	return bs, err
}

// Postings lists postings for statements, newest first.
func (s *Service) Postings(ctx context.Context, f Filter) ([]Posting, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	var ps []Posting
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		ps, err = s.store.Postings(ctx, f)
		return err
	})
	return ps, err
}

// Check recomputes the tenant's books from the postings: every cached balance against the sum
// of its postings, every transaction's sum per asset, and every non-negative account's sign.
// An empty answer means the books are consistent.
func (s *Service) Check(ctx context.Context) ([]Mismatch, error) {
	var ms []Mismatch
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		ms, err = s.store.Check(ctx)
		return err
	})
	return ms, err
}

func validate(t Transaction) error {
	if t.Key == "" || len(t.Key) > 200 {
		return fmt.Errorf("ledger: transaction %q needs an idempotency key of 1–200 characters", t.Kind)
	}
	if len(t.Entries) < 2 {
		return fmt.Errorf("ledger: transaction %q has %d entries, needs at least two", t.Kind, len(t.Entries))
	}
	sums := map[string]int64{}
	for _, e := range t.Entries {
		if e.Amount == 0 {
			return fmt.Errorf("ledger: transaction %q has a zero entry for %s", t.Kind, e.Account)
		}
		if !e.Account.Owner.valid() {
			return fmt.Errorf("ledger: transaction %q: bad owner %s", t.Kind, e.Account.Owner)
		}
		if _, ok := nonNegative[e.Account.Purpose]; !ok {
			return fmt.Errorf("ledger: transaction %q: unknown purpose %q", t.Kind, e.Account.Purpose)
		}
		if !validAsset(e.Account.Asset) {
			return fmt.Errorf("ledger: transaction %q: bad asset %q", t.Kind, e.Account.Asset)
		}
		sums[e.Account.Asset] += e.Amount
	}
	for asset, sum := range sums {
		if sum != 0 {
			return fmt.Errorf("ledger: transaction %q does not balance in %s: %d", t.Kind, asset, sum)
		}
	}
	return nil
}

// netByAccount sums the entries per account, sorted in the account order every poster locks in.
func netByAccount(es []Entry) []Entry {
	var nets []Entry
	for _, e := range es {
		i := slices.IndexFunc(nets, func(n Entry) bool { return n.Account == e.Account })
		if i < 0 {
			nets = append(nets, e)
			continue
		}
		nets[i].Amount += e.Amount
	}
	slices.SortFunc(nets, func(a, b Entry) int { return a.Account.compare(b.Account) })
	return nets
}

// samePosting reports whether a stored transaction is the same posting as t (for key replays).
func samePosting(stored, t Transaction) bool {
	if stored.Kind != t.Kind || stored.Ref != t.Ref || stored.Reverses != t.Reverses {
		return false
	}
	a, b := netByAccount(stored.Entries), netByAccount(t.Entries)
	return slices.Equal(a, b)
}
