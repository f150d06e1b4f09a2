// Package ledgerapi exposes the ledger for reading (ledger:read): an owner's account
// balances, a transaction with its entries, and the consistency check.
package ledgerapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/app/ledger"
)

type api struct{ svc *ledger.Service }

// Register adds the ledger operations.
func Register(h huma.API, svc *ledger.Service) {
	a := api{svc: svc}
	acc := httpx.Access{Audience: httpx.Staff, Permission: "ledger:read"}
	reg := func(id, method, path, summary string) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{"Ledger"}}, acc)
	}
	huma.Register(h, reg("list-ledger-balances", http.MethodGet, "/api/v1/ledger/balances", "An owner's account balances"), a.balances)
	huma.Register(h, reg("get-ledger-transaction", http.MethodGet, "/api/v1/ledger/transactions/{id}", "A ledger transaction with its entries"), a.transaction)
	huma.Register(h, reg("check-ledger", http.MethodPost, "/api/v1/ledger/check", "Recompute every balance and transaction sum from the postings"), a.check)
}

// LedgerBalancesQuery names the owner.
type LedgerBalancesQuery struct {
	OwnerKind string `query:"owner_kind" required:"true" enum:"platform,hq,franchisee,store,staff,customer,external"`
	OwnerID   string `query:"owner_id" format:"uuid" doc:"Required except for platform, hq and external"`
}

// LedgerAccountDTO names an account.
type LedgerAccountDTO struct {
	OwnerKind string     `json:"owner_kind"`
	OwnerID   *uuid.UUID `json:"owner_id,omitempty"`
	Purpose   string     `json:"purpose"`
	Asset     string     `json:"asset"`
}

// LedgerBalanceDTO is an account's balance.
type LedgerBalanceDTO struct {
	LedgerAccountDTO
	ID          uuid.UUID `json:"id"`
	Balance     int64     `json:"balance"`
	NonNegative bool      `json:"non_negative"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toAccountDTO(a ledger.Account) LedgerAccountDTO {
	d := LedgerAccountDTO{OwnerKind: string(a.Owner.Kind), Purpose: string(a.Purpose), Asset: a.Asset}
	if a.Owner.ID != uuid.Nil {
		id := a.Owner.ID
		d.OwnerID = &id
	}
	return d
}

func toCoreOwner(q LedgerBalancesQuery) (ledger.Owner, error) {
	o := ledger.Owner{Kind: ledger.OwnerKind(q.OwnerKind)}
	shared := o.Kind == ledger.OwnerPlatform || o.Kind == ledger.OwnerHQ || o.Kind == ledger.OwnerExternal
	var v errs.Validation
	if q.OwnerID != "" {
		id, err := uuid.Parse(q.OwnerID)
		v.Check(err == nil, "owner_id", "a uuid")
		o.ID = id
	}
	v.Check(shared == (o.ID == uuid.Nil), "owner_id", "required for franchisee, store, staff and customer owners; absent for platform, hq and external")
	return o, v.Err()
}

func (a api) balances(ctx context.Context, in *LedgerBalancesQuery) (*httpx.Body[[]LedgerBalanceDTO], error) {
	o, err := toCoreOwner(*in)
	if err != nil {
		return nil, err
	}
	bs, err := a.svc.Balances(ctx, o)
	if err != nil {
		return nil, err
	}
	out := make([]LedgerBalanceDTO, len(bs))
	for i, b := range bs {
		out[i] = LedgerBalanceDTO{LedgerAccountDTO: toAccountDTO(b.Account), ID: b.ID, Balance: b.Balance, NonNegative: b.Account.NonNegative(), UpdatedAt: b.UpdatedAt}
	}
	return &httpx.Body[[]LedgerBalanceDTO]{Body: out}, nil
}

// LedgerIDPath names a transaction.
type LedgerIDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

// LedgerEntryDTO is one entry.
type LedgerEntryDTO struct {
	Account LedgerAccountDTO `json:"account"`
	Amount  int64            `json:"amount"`
}

// LedgerTransactionDTO is a transaction with its entries.
type LedgerTransactionDTO struct {
	ID        uuid.UUID        `json:"id"`
	Kind      string           `json:"kind"`
	RefKind   string           `json:"ref_kind"`
	RefID     *uuid.UUID       `json:"ref_id,omitempty"`
	Key       string           `json:"idempotency_key"`
	Memo      string           `json:"memo"`
	CreatedBy string           `json:"created_by"`
	Reverses  *uuid.UUID       `json:"reverses,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	Entries   []LedgerEntryDTO `json:"entries"`
}

func opt(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func (a api) transaction(ctx context.Context, in *LedgerIDPath) (*httpx.Body[LedgerTransactionDTO], error) {
	t, err := a.svc.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	d := LedgerTransactionDTO{ID: t.ID, Kind: t.Kind, RefKind: t.Ref.Kind, RefID: opt(t.Ref.ID), Key: t.Key, Memo: t.Memo, CreatedBy: t.CreatedBy,
		Reverses: opt(t.Reverses), CreatedAt: t.CreatedAt, Entries: make([]LedgerEntryDTO, len(t.Entries))}
	for i, e := range t.Entries {
		d.Entries[i] = LedgerEntryDTO{Account: toAccountDTO(e.Account), Amount: e.Amount}
	}
	return &httpx.Body[LedgerTransactionDTO]{Body: d}, nil
}

// LedgerMismatchDTO is one finding of the check.
type LedgerMismatchDTO struct {
	Kind      string     `json:"kind" enum:"balance,unbalanced,negative"`
	AccountID *uuid.UUID `json:"account_id,omitempty"`
	TxID      *uuid.UUID `json:"transaction_id,omitempty"`
	Asset     string     `json:"asset,omitempty"`
	Cached    int64      `json:"cached"`
	Computed  int64      `json:"computed"`
}

// LedgerCheckDTO is the check's answer.
type LedgerCheckDTO struct {
	OK         bool                `json:"ok"`
	Mismatches []LedgerMismatchDTO `json:"mismatches"`
}

func (a api) check(ctx context.Context, _ *struct{}) (*httpx.Body[LedgerCheckDTO], error) {
	ms, err := a.svc.Check(ctx)
	if err != nil {
		return nil, err
	}
	out := LedgerCheckDTO{OK: len(ms) == 0, Mismatches: make([]LedgerMismatchDTO, len(ms))}
	for i, m := range ms {
		out.Mismatches[i] = LedgerMismatchDTO{Kind: m.Kind, AccountID: opt(m.AccountID), TxID: opt(m.TxID), Asset: m.Asset, Cached: m.Cached, Computed: m.Computed}
	}
	return &httpx.Body[LedgerCheckDTO]{Body: out}, nil
}
