// Package ledgerdb keeps the ledger in PostgreSQL (migrations/00012_ledger.sql).
package ledgerdb

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
)

// Repo implements ledger.Repo.
type Repo struct{ db *dbx.DB }

// New returns the store.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ ledger.Repo = (*Repo)(nil)

type txRow struct {
	ID             uuid.UUID
	Kind           string
	RefKind        string
	RefID          *uuid.UUID
	IdempotencyKey string
	ReversesID     *uuid.UUID
	Memo           string
	CreatedBy      string
	CreatedAt      time.Time
}

type postingRow struct {
	TransactionID uuid.UUID
	Kind          string
	RefKind       string
	RefID         *uuid.UUID
	Memo          string
	OwnerKind     string
	OwnerID       uuid.UUID
	Purpose       string
	Asset         string
	Amount        int64
	CreatedAt     time.Time
}

func (p postingRow) account() ledger.Account {
	return ledger.Account{Owner: ledger.Owner{Kind: ledger.OwnerKind(p.OwnerKind), ID: p.OwnerID},
		Purpose: ledger.Purpose(p.Purpose), Asset: p.Asset}
}

func ref(kind string, id *uuid.UUID) ledger.Ref {
	r := ledger.Ref{Kind: kind}
	if id != nil {
		r.ID = *id
	}
	return r
}

func nilID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// FindByKey implements ledger.Repo.
func (s *Repo) FindByKey(ctx context.Context, key string) (ledger.Transaction, error) {
	return s.load(ctx, "idempotency_key = ?", key)
}

// Get implements ledger.Repo.
func (s *Repo) Get(ctx context.Context, id uuid.UUID) (ledger.Transaction, error) {
	return s.load(ctx, "id = ?", id)
}

func (s *Repo) load(ctx context.Context, where string, arg any) (ledger.Transaction, error) {
	var row txRow
	res := s.db.Conn(ctx).Raw(`select id, kind, ref_kind, ref_id, idempotency_key, reverses_id, memo, created_by, created_at
		from ledger_transactions where `+where, arg).Scan(&row)
	if res.Error != nil {
		return ledger.Transaction{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return ledger.Transaction{}, ledger.ErrNotFound
	}
	t := ledger.Transaction{ID: row.ID, Kind: row.Kind, Ref: ref(row.RefKind, row.RefID), Key: row.IdempotencyKey,
		Memo: row.Memo, CreatedBy: row.CreatedBy, CreatedAt: row.CreatedAt}
	if row.ReversesID != nil {
		t.Reverses = *row.ReversesID
	}
	var ps []postingRow
	if err := s.db.Conn(ctx).Raw(`select a.owner_kind, a.owner_id, a.purpose, p.asset, p.amount
		from ledger_postings p join ledger_accounts a on a.tenant_id = p.tenant_id and a.id = p.account_id
		where p.transaction_id = ? order by p.line`, row.ID).Scan(&ps).Error; err != nil {
		return ledger.Transaction{}, dbx.Err(err)
	}
	for _, p := range ps {
		t.Entries = append(t.Entries, ledger.Entry{Account: p.account(), Amount: p.Amount})
	}
	return t, nil
}

// openAccount opens an account at zero if it does not exist; addBalance then adds a net amount
// and takes the row lock that orders concurrent posters, and the non-negative check
// constraint refuses an overdraft. (One upsert cannot do both: PostgreSQL checks constraints on
// the row proposed for insertion before it looks for a conflict.)
const (
	openAccount = `insert into ledger_accounts (tenant_id, id, owner_kind, owner_id, purpose, asset, non_negative, created_at, updated_at)
	values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (tenant_id, owner_kind, owner_id, purpose, asset) do nothing`
	addBalance = `update ledger_accounts set balance = balance + ?, updated_at = ?
	where owner_kind = ? and owner_id = ? and purpose = ? and asset = ? returning id`
)

// account opens a and adds amount to its balance, returning its id.
func (s *Repo) account(ctx context.Context, tenant uuid.UUID, a ledger.Account, amount int64, at time.Time) (uuid.UUID, error) {
	db := s.db.Conn(ctx)
	if err := db.Exec(openAccount, tenant, uuid.Must(uuid.NewV7()), a.Owner.Kind, a.Owner.ID, a.Purpose, a.Asset,
		a.NonNegative(), at, at).Error; err != nil {
		return uuid.Nil, dbx.Err(err)
	}
	var id uuid.UUID
	err := db.Raw(addBalance, amount, at, a.Owner.Kind, a.Owner.ID, a.Purpose, a.Asset).Row().Scan(&id)
	if dbx.IsConstraint(err, "ledger_accounts_non_negative") {
		return uuid.Nil, ledger.ErrInsufficient
	}
	return id, dbx.Err(err)
}

// Insert implements ledger.Repo.
func (s *Repo) Insert(ctx context.Context, t ledger.Transaction, nets []ledger.Entry) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	db := s.db.Conn(ctx)
	// The transaction row first: a concurrent poster of the same key waits on the unique index
	// here and then fails, before either touched a balance.
	err = db.Exec(`insert into ledger_transactions (tenant_id, id, kind, ref_kind, ref_id, idempotency_key, reverses_id, memo, created_by, created_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tenant, t.ID, t.Kind, t.Ref.Kind, nilID(t.Ref.ID), t.Key, nilID(t.Reverses),
		t.Memo, t.CreatedBy, t.CreatedAt).Error
	switch {
	case dbx.IsConstraint(err, "ledger_transactions_key"):
		return ledger.ErrKeyConflict
	case dbx.IsConstraint(err, "ledger_transactions_reverses_key"):
		return ledger.ErrAlreadyReversed
	case err != nil:
		return dbx.Err(err)
	}
	ids := make(map[ledger.Account]uuid.UUID, len(nets))
	for _, n := range nets { // sorted: every poster locks accounts in the same order
		id, err := s.account(ctx, tenant, n.Account, n.Amount, t.CreatedAt)
		if err != nil {
			return err
		}
		ids[n.Account] = id
	}
	var sb strings.Builder
	args := make([]any, 0, len(t.Entries)*7)
	sb.WriteString(`insert into ledger_postings (tenant_id, transaction_id, line, account_id, asset, amount, created_at) values `)
	for i, e := range t.Entries {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, tenant, t.ID, i, ids[e.Account], e.Account.Asset, e.Amount, t.CreatedAt)
	}
	return dbx.Err(db.Exec(sb.String(), args...).Error)
}

type balanceRow struct {
	ID        uuid.UUID
	OwnerKind string
	OwnerID   uuid.UUID
	Purpose   string
	Asset     string
	Balance   int64
	UpdatedAt time.Time
}

func (b balanceRow) balance() ledger.Balance {
	return ledger.Balance{ID: b.ID, Balance: b.Balance, UpdatedAt: b.UpdatedAt, Account: postingRow{
		OwnerKind: b.OwnerKind, OwnerID: b.OwnerID, Purpose: b.Purpose, Asset: b.Asset}.account()}
}

const balanceCols = `select id, owner_kind, owner_id, purpose, asset, balance, updated_at from ledger_accounts `

// Balances implements ledger.Repo.
func (s *Repo) Balances(ctx context.Context, accounts []ledger.Account) ([]ledger.Balance, error) {
	var out []ledger.Balance
	for _, a := range accounts {
		var rows []balanceRow
		if err := s.db.Conn(ctx).Raw(balanceCols+`where owner_kind = ? and owner_id = ? and purpose = ? and asset = ?`,
			a.Owner.Kind, a.Owner.ID, a.Purpose, a.Asset).Scan(&rows).Error; err != nil {
			return nil, dbx.Err(err)
		}
		for _, r := range rows {
			out = append(out, r.balance())
		}
	}
	return out, nil
}

// OwnerBalances implements ledger.Repo.
func (s *Repo) OwnerBalances(ctx context.Context, owner ledger.Owner) ([]ledger.Balance, error) {
	var rows []balanceRow
	if err := s.db.Conn(ctx).Raw(balanceCols+`where owner_kind = ? and owner_id = ? order by purpose, asset`,
		owner.Kind, owner.ID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]ledger.Balance, len(rows))
	for i, r := range rows {
		out[i] = r.balance()
	}
	return out, nil
}

// Postings implements ledger.Repo.
func (s *Repo) Postings(ctx context.Context, f ledger.Filter) ([]ledger.Posting, error) {
	q := s.db.Conn(ctx).Table("ledger_postings p").
		Select(`p.transaction_id, t.kind, t.ref_kind, t.ref_id, t.memo, a.owner_kind, a.owner_id, a.purpose, p.asset, p.amount, p.created_at`).
		Joins(`join ledger_transactions t on t.tenant_id = p.tenant_id and t.id = p.transaction_id`).
		Joins(`join ledger_accounts a on a.tenant_id = p.tenant_id and a.id = p.account_id`)
	if f.Owner != nil {
		q = q.Where("a.owner_kind = ? and a.owner_id = ?", f.Owner.Kind, f.Owner.ID)
	}
	if f.Ref != nil {
		q = q.Where("t.ref_kind = ? and t.ref_id = ?", f.Ref.Kind, f.Ref.ID)
	}
	if !f.From.IsZero() {
		q = q.Where("p.created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("p.created_at < ?", f.To)
	}
	var rows []postingRow
	if err := q.Order("p.created_at desc, p.transaction_id desc, p.line").Limit(f.Limit).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]ledger.Posting, len(rows))
	for i, r := range rows {
		out[i] = ledger.Posting{TxID: r.TransactionID, Kind: r.Kind, Ref: ref(r.RefKind, r.RefID), Memo: r.Memo,
			Account: r.account(), Amount: r.Amount, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// Check implements ledger.Repo.
func (s *Repo) Check(ctx context.Context) ([]ledger.Mismatch, error) {
	db := s.db.Conn(ctx)
	var out []ledger.Mismatch
	var bal []struct {
		ID           uuid.UUID
		Asset        string
		Balance, Sum int64
		NonNegative  bool
	}
	if err := db.Raw(`select a.id, a.asset, a.balance, a.non_negative, coalesce(p.sum, 0) as sum
		from ledger_accounts a
		left join (select account_id, sum(amount) as sum from ledger_postings group by account_id) p on p.account_id = a.id
		where a.balance <> coalesce(p.sum, 0) or (a.non_negative and (a.balance < 0 or coalesce(p.sum, 0) < 0))`).Scan(&bal).Error; err != nil {
		return nil, dbx.Err(err)
	}
	for _, b := range bal {
		kind := "balance"
		if b.Balance == b.Sum {
			kind = "negative"
		}
		out = append(out, ledger.Mismatch{Kind: kind, AccountID: b.ID, Asset: b.Asset, Cached: b.Balance, Computed: b.Sum})
	}
	var unb []struct {
		TransactionID uuid.UUID
		Asset         string
		Sum           int64
	}
	if err := db.Raw(`select transaction_id, asset, sum(amount) as sum from ledger_postings
		group by transaction_id, asset having sum(amount) <> 0`).Scan(&unb).Error; err != nil {
		return nil, dbx.Err(err)
	}
	for _, u := range unb {
		out = append(out, ledger.Mismatch{Kind: "unbalanced", TxID: u.TransactionID, Asset: u.Asset, Computed: u.Sum})
	}
	return out, nil
}
