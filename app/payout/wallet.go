package payout

import (
	"context"
	"errors"
	"time"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/ledger"
)

// Wallet is an owner's money in the tenant's currency, read from the ledger.
type Wallet struct {
	Owner       Owner
	Currency    string
	Available   int64 // may be withdrawn
	Pending     int64 // earned, inside the holding period
	Withdrawing int64 // requested or approved withdrawals in flight (net of fees)
	Account     *Account
}

// MyWallet returns the caller's wallet: a staff member's own, a franchisee owner's franchisee's.
func (s *Service) MyWallet(ctx context.Context) (Wallet, error) {
	owner, err := s.mine(ctx)
	if err != nil {
		return Wallet{}, err
	}
	return s.Wallet(ctx, owner)
}

// Wallet returns owner's wallet (no access check: callers decide whose).
func (s *Service) Wallet(ctx context.Context, owner Owner) (Wallet, error) {
	out := Wallet{Owner: owner}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		t, err := s.repo.Tenant(ctx)
		if err != nil {
			return err
		}
		out.Currency = t.Currency
		bs, err := s.ledger.Balances(ctx, owner.Ledger())
		if err != nil {
			return err
		}
		for _, b := range bs {
			if b.Account.Asset != t.Currency {
				continue
			}
			switch b.Account.Purpose {
			case ledger.Available:
				out.Available = b.Balance
			case ledger.Pending:
				out.Pending = b.Balance
			case ledger.Withdrawing:
				out.Withdrawing = b.Balance
			}
		}
		a, err := s.repo.Account(ctx, owner, false)
		if err == nil {
			out.Account = &a
		} else if !errors.Is(err, ErrAccountNotFound) {
			return err
		}
		return nil
	})
	return out, err
}

// Statement is one page of a wallet's postings, newest first.
type Statement struct {
	Currency string
	Lines    []ledger.Posting
	HasMore  bool
}

// MaxStatementDepth bounds offset + limit; narrow older pages with from and to.
const MaxStatementDepth = 1000

// MyStatement pages the caller's wallet postings (available, pending, withdrawing), newest
// first, optionally within [from, to).
func (s *Service) MyStatement(ctx context.Context, from, to time.Time, p page.Request) (Statement, error) {
	owner, err := s.mine(ctx)
	if err != nil {
		return Statement{}, err
	}
	return s.Statement(ctx, owner, from, to, p)
}

// Statement pages owner's wallet postings (no access check).
func (s *Service) Statement(ctx context.Context, owner Owner, from, to time.Time, p page.Request) (Statement, error) {
	p = p.Normalize()
	var v errs.Validation
	v.Check(p.Offset+p.Limit <= MaxStatementDepth, "offset", "offset + limit at most 1000; narrow older pages with from and to")
	v.Check(from.IsZero() || to.IsZero() || from.Before(to), "from", "before to")
	if err := v.Err(); err != nil {
		return Statement{}, err
	}
	var out Statement
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		t, err := s.repo.Tenant(ctx)
		if err != nil {
			return err
		}
		out.Currency = t.Currency
		o := owner.Ledger()
		ps, err := s.ledger.Postings(ctx, ledger.Filter{Owner: &o, From: from, To: to, Limit: p.Offset + p.Limit + 1})
		if err != nil {
			return err
		}
		if len(ps) > p.Offset+p.Limit {
			out.HasMore = true
			ps = ps[:p.Offset+p.Limit]
		}
		if p.Offset < len(ps) {
			out.Lines = ps[p.Offset:]
		}
		return nil
	})
	return out, err
}
