package payout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/money"
	"doorstep/app/kit/page"
	"doorstep/app/ledger"
	"doorstep/app/notify"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
	"doorstep/jobs"
)

// Settings returns the tenant's withdrawal rules and its currency.
func (s *Service) Settings(ctx context.Context) (Settings, string, error) {
	var out Settings
	var cur string
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		t, err := s.repo.Tenant(ctx)
		if err != nil {
			return err
		}
		cur = t.Currency
		out, err = s.repo.Settings(ctx)
		return err
	})
	return out, cur, err
}

// UpdateSettings replaces the tenant's withdrawal rules (payouts:approve, tenant scope).
func (s *Service) UpdateSettings(ctx context.Context, n Settings) (Settings, error) {
	if err := tenantScope(ctx); err != nil {
		return Settings{}, err
	}
	var v errs.Validation
	v.Check(n.MinAmount >= 1 && n.MinAmount <= 100_000_000_000, "min_amount", "1 to 100000000000 minor units")
	v.Check(n.FeeFixed >= 0 && n.FeeFixed <= 100_000_000, "fee_fixed", "0 to 100000000 minor units")
	v.Check(n.FeeBP >= 0 && n.FeeBP <= 5000, "fee_bp", "0 to 5000 basis points")
	v.Check(n.DailyLimit >= 1 && n.DailyLimit <= 100_000_000_000, "daily_limit", "1 to 100000000000 minor units")
	if n.MinAmount >= 1 && n.FeeFixed >= 0 && n.FeeBP >= 0 {
		v.Check(n.Fee(n.MinAmount) < n.MinAmount, "min_amount", "must exceed the fee charged on it")
	}
	v.Check(n.DailyLimit >= n.MinAmount, "daily_limit", "at least the minimum amount")
	if err := v.Err(); err != nil {
		return Settings{}, err
	}
	n.UpdatedBy, n.UpdatedAt = auth.Subject(ctx), s.clock.Now()
	err := s.db.InTx(ctx, func(ctx context.Context) error { return s.repo.SaveSettings(ctx, n) })
	return n, err
}

func tenantScope(ctx context.Context) error {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind == auth.Operator || (p.Kind == auth.User && p.Scope == auth.ScopeTenant) {
		return nil
	}
	return ErrTenantScopeOnly
}

func location(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

func fmtMoney(minor int64, cur string) string {
	return money.Amount{Minor: minor, Currency: cur}.String()
}

// Request withdraws amount from the caller's available balance: the payout.request posting
// (available −W, withdrawing +(W−F), HQ fees +F) and the request row commit together. The
// owner's account row is locked first, so concurrent requests of one owner are decided one at
// a time against the daily limit; the ledger refuses an overdraft (409 insufficient_balance).
//
// requestKey is the client's Idempotency-Key (optional, unique per requesting user): a retry
// returns the first withdrawal (whatever its state now) and posts nothing; the key with another
// amount is idempotency_key_reused. It is looked up again under the owner's lock, so a retry
// racing the first request waits for it and replays it instead of being refused by the limit
// or balance the first one used; the unique constraint is the last word.
func (s *Service) Request(ctx context.Context, amount int64, requestKey string) (Withdrawal, error) {
	owner, err := s.mine(ctx)
	if err != nil {
		return Withdrawal{}, err
	}
	var v errs.Validation
	v.Check(len(requestKey) <= 200, "Idempotency-Key", "at most 200 characters")
	if err := v.Err(); err != nil {
		return Withdrawal{}, err
	}
	out, err := s.request(ctx, owner, amount, requestKey)
	if requestKey != "" && dbx.IsConstraint(err, "withdrawals_request_key") {
		out, err = s.request(ctx, owner, amount, requestKey) // the concurrent winner's answer
	}
	return out, err
}

func (s *Service) request(ctx context.Context, owner Owner, amount int64, requestKey string) (Withdrawal, error) {
	p, _ := auth.FromContext(ctx)
	var out Withdrawal
	// replayed finds the withdrawal made under requestKey, into out.
	replayed := func(ctx context.Context) (bool, error) {
		if requestKey == "" {
			return false, nil
		}
		prev, found, err := s.repo.WithdrawalByRequestKey(ctx, p.SubjectID, requestKey)
		if err != nil || !found {
			return false, err
		}
		if prev.Amount != amount || prev.Owner != owner {
			return true, ErrKeyReused
		}
		out = prev
		return true, nil
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if done, err := replayed(ctx); done || err != nil {
			return err
		}
		t, err := s.repo.Tenant(ctx)
		if err != nil {
			return err
		}
		set, err := s.repo.Settings(ctx)
		if err != nil {
			return err
		}
		fee := set.Fee(amount)
		switch {
		case amount < set.MinAmount:
			return errs.Invalidf("below_minimum", "the amount is below the minimum withdrawal",
				errs.Field("amount", "at least "+fmtMoney(set.MinAmount, t.Currency)))
		case fee >= amount:
			return errs.Invalidf("below_minimum", "the amount does not cover the withdrawal fee",
				errs.Field("amount", "more than the fee of "+fmtMoney(fee, t.Currency)))
		}
		acc, err := s.repo.Account(ctx, owner, true) // the per-owner lock
		if errors.Is(err, ErrAccountNotFound) {
			return ErrAccountNotReady
		}
		if err != nil {
			return err
		}
		if acc.State != AccountEnabled || acc.StripeID == "" {
			return ErrAccountNotReady
		}
		if done, err := replayed(ctx); done || err != nil {
			return err // a concurrent first request committed while this one waited for the lock
		}
		now := s.clock.Now()
		day := now.In(location(t.TimeZone)).Format(time.DateOnly)
		used, err := s.repo.DayTotal(ctx, owner, day)
		if err != nil {
			return err
		}
		if used+amount > set.DailyLimit {
			return errs.Invalidf("daily_limit_exceeded", "the amount exceeds today's withdrawal limit",
				errs.Field("amount", "at most "+fmtMoney(max(set.DailyLimit-used, 0), t.Currency)+" more today"))
		}
		w := Withdrawal{ID: uuid.Must(uuid.NewV7()), Owner: owner, AccountID: acc.ID, StripeID: acc.StripeID, Amount: amount, Fee: fee,
			Currency: t.Currency, Status: Requested, Day: day, RequestedBy: p.SubjectID, RequestKey: requestKey, CreatedAt: now, UpdatedAt: now}
		o := owner.Ledger()
		entries := []ledger.Entry{
			{Account: o.Account(ledger.Available, w.Currency), Amount: -w.Amount},
			{Account: o.Account(ledger.Withdrawing, w.Currency), Amount: w.Net()},
		}
		if w.Fee > 0 {
			entries = append(entries, ledger.Entry{Account: ledger.HQ().Account(ledger.Fees, w.Currency), Amount: w.Fee})
		}
		tx, err := s.ledger.Post(ctx, ledger.Transaction{Kind: "payout.request", Ref: ref(w.ID), Key: "payout:" + w.ID.String() + ":request",
			Memo: "withdrawal requested", CreatedBy: auth.Subject(ctx), Entries: entries})
		if err != nil {
			return err
		}
		w.RequestTxID = tx.ID
		if err := s.repo.InsertWithdrawal(ctx, w); err != nil {
			return err
		}
		if err := s.step(ctx, &w, Requested, "", auth.Subject(ctx), t); err != nil {
			return err
		}
		// Answer with the row as stored, as a replay does (timestamps in microseconds).
		out, err = s.repo.Withdrawal(ctx, w.ID, false)
		return err
	})
	return out, err
}

func ref(id uuid.UUID) ledger.Ref { return ledger.Ref{Kind: "withdrawal", ID: id} }

// step records a history row and tells the requester, in the caller's transaction.
func (s *Service) step(ctx context.Context, w *Withdrawal, st Status, reason, actor string, t TenantFacts) error {
	e := Event{Seq: len(w.History) + 1, Status: st, Reason: reason, Actor: actor, At: s.clock.Now()}
	if err := s.repo.AddEvent(ctx, w.ID, e); err != nil {
		return err
	}
	w.History = append(w.History, e)
	return s.announce(ctx, *w, st, reason, t)
}

// announce sends the requester the in-app message of a step.
func (s *Service) announce(ctx context.Context, w Withdrawal, st Status, reason string, t TenantFacts) error {
	if s.outbox == nil {
		return nil
	}
	tpl := notify.TemplatePayoutOf(string(st))
	if tpl == "" {
		return nil
	}
	all := map[string]string{notify.ParamBrand: t.Brand, notify.ParamAmount: fmtMoney(w.Amount, w.Currency),
		notify.ParamFee: fmtMoney(w.Fee, w.Currency), notify.ParamNet: fmtMoney(w.Net(), w.Currency), notify.ParamReason: reason}
	return notify.Enqueue(ctx, s.outbox, notify.ToInbox("user:"+w.RequestedBy.String(), t.Locale, tpl, notify.PayoutTemplateParams[tpl], all,
		map[string]string{"withdrawal_id": w.ID.String(), "status": string(st)}))
}

// Approve accepts a requested withdrawal (payouts:approve, tenant scope) and enqueues its
// transfer; the transfer's idempotency key is saved on the row here, before any call.
func (s *Service) Approve(ctx context.Context, id uuid.UUID) (Withdrawal, error) {
	if err := tenantScope(ctx); err != nil {
		return Withdrawal{}, err
	}
	var out Withdrawal
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		w, t, err := s.pending(ctx, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		w.Status, w.TransferKey, w.DecidedBy, w.DecidedAt, w.UpdatedAt = Approved, "payout:"+w.ID.String()+":transfer", auth.Subject(ctx), &now, now
		if err := s.repo.SaveWithdrawal(ctx, w); err != nil {
			return err
		}
		if s.outbox != nil {
			if _, err := s.outbox.Add(ctx, &TransferPayload{WithdrawalID: w.ID}, jobs.Queue(jobs.QueueCritical), jobs.MaxRetry(20)); err != nil {
				return err
			}
		}
		if err := s.step(ctx, &w, Approved, "", auth.Subject(ctx), t); err != nil {
			return err
		}
		out = w
		return nil
	})
	return out, err
}

// Reject refuses a requested withdrawal with a reason: payout.failed returns the money.
func (s *Service) Reject(ctx context.Context, id uuid.UUID, reason string) (Withdrawal, error) {
	if err := tenantScope(ctx); err != nil {
		return Withdrawal{}, err
	}
	reason = strings.TrimSpace(reason)
	var v errs.Validation
	v.Check(len([]rune(reason)) >= 1 && len([]rune(reason)) <= 500, "reason", "1 to 500 characters")
	if err := v.Err(); err != nil {
		return Withdrawal{}, err
	}
	var out Withdrawal
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		w, _, err := s.pending(ctx, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		w.DecidedBy, w.DecidedAt = auth.Subject(ctx), &now
		if err := s.fail(ctx, &w, Rejected, reason, auth.Subject(ctx)); err != nil {
			return err
		}
		out = w
		return nil
	})
	return out, err
}

func (s *Service) pending(ctx context.Context, id uuid.UUID) (Withdrawal, TenantFacts, error) {
	w, err := s.repo.Withdrawal(ctx, id, true)
	if err != nil {
		return w, TenantFacts{}, err
	}
	if w.Status != Requested {
		return w, TenantFacts{}, ErrNotPending
	}
	t, err := s.repo.Tenant(ctx)
	return w, t, err
}

// fail ends a withdrawal as rejected or failed and returns the money with payout.failed
// (withdrawing −(W−F), available +W, HQ fees −F). A paid withdrawal (its transfer reversed
// later) first reverses its payout.paid, so the chart's shapes hold; what partial reversals
// returned already (R) is not returned twice: available +(W−R), External/clearing +R. w must
// be locked.
func (s *Service) fail(ctx context.Context, w *Withdrawal, st Status, reason, actor string) error {
	t, err := s.repo.Tenant(ctx)
	if err != nil {
		return err
	}
	if w.Status == Paid {
		rev, err := s.ledger.Reverse(ctx, w.PaidTxID, "payout:"+w.ID.String()+":paid:reversal", reason, actor)
		if err != nil {
			return err
		}
		w.ReversalTxID = rev.ID
	}
	o := w.Owner.Ledger()
	entries := []ledger.Entry{
		{Account: o.Account(ledger.Withdrawing, w.Currency), Amount: -w.Net()},
		{Account: o.Account(ledger.Available, w.Currency), Amount: w.Amount - w.Reversed},
	}
	if w.Fee > 0 {
		entries = append(entries, ledger.Entry{Account: ledger.HQ().Account(ledger.Fees, w.Currency), Amount: -w.Fee})
	}
	if w.Reversed > 0 {
		// Partial reversals (payout.reversed) returned this much already, out of clearing.
		entries = append(entries, ledger.Entry{Account: ledger.External().Account(ledger.Clearing, w.Currency), Amount: w.Reversed})
	}
	tx, err := s.ledger.Post(ctx, ledger.Transaction{Kind: "payout.failed", Ref: ref(w.ID), Key: "payout:" + w.ID.String() + ":failed",
		Memo: reason, CreatedBy: actor, Entries: entries})
	if err != nil {
		return err
	}
	w.Status, w.FailedTxID, w.Reason, w.UpdatedAt = st, tx.ID, reason, s.clock.Now()
	if err := s.repo.SaveWithdrawal(ctx, *w); err != nil {
		return err
	}
	return s.step(ctx, w, st, reason, actor, t)
}

// Transfer runs an approved withdrawal's transfer (the payout:transfer task): the call goes
// through gateway.Do with the key saved at approval, so however often the task or the call is
// retried, Stripe moves the money once. Success posts payout.paid; a refusal (a gateway.Error
// that retrying cannot change) fails the withdrawal and returns the money; anything else
// leaves it approved and returns the error, so asynq retries with the same key.
func (s *Service) Transfer(ctx context.Context, id uuid.UUID) error {
	var w Withdrawal
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		w, err = s.repo.Withdrawal(ctx, id, false)
		return err
	})
	if errors.Is(err, ErrWithdrawalNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if w.Status != Approved {
		return nil // done already, or failed meanwhile
	}
	if w.TransferKey == "" || w.StripeID == "" {
		return fmt.Errorf("payout: withdrawal %s approved without a transfer key or account", w.ID)
	}
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	tr, err := gateway.Do(ctx, s.retry.Attempts, s.retry.Backoff, func(ctx context.Context) (gateway.Transfer, error) {
		return s.gw.Transfer(ctx, gateway.TransferParams{Key: w.TransferKey, Amount: w.Net(), Currency: w.Currency, Destination: w.StripeID,
			Description: "withdrawal " + w.ID.String(), Metadata: map[string]string{payment.MetaTenant: tid.String(), MetaWithdrawal: w.ID.String()}})
	})
	var ge *gateway.Error
	switch {
	case err == nil:
		return s.markPaid(ctx, w.ID, tr.ID)
	case errors.As(err, &ge) && !gateway.Retryable(err):
		return s.db.InTx(ctx, func(ctx context.Context) error {
			w, err := s.repo.Withdrawal(ctx, id, true)
			if err != nil || w.Status != Approved {
				return err
			}
			return s.fail(ctx, &w, Failed, "transfer refused: "+ge.Code, "stripe")
		})
	default:
		return err
	}
}

func (s *Service) markPaid(ctx context.Context, id uuid.UUID, transferID string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		w, err := s.repo.Withdrawal(ctx, id, true)
		if err != nil || w.Status != Approved {
			return err
		}
		return s.paid(ctx, &w, transferID)
	})
}

// paid records an approved withdrawal's transfer (w locked): payout.paid, status and history.
func (s *Service) paid(ctx context.Context, w *Withdrawal, transferID string) error {
	t, err := s.repo.Tenant(ctx)
	if err != nil {
		return err
	}
	tx, err := s.ledger.Post(ctx, ledger.Transaction{Kind: "payout.paid", Ref: ref(w.ID), Key: "payout:" + w.ID.String() + ":paid",
		Memo: "transfer " + transferID, CreatedBy: "stripe", Entries: []ledger.Entry{
			{Account: w.Owner.Ledger().Account(ledger.Withdrawing, w.Currency), Amount: -w.Net()},
			{Account: ledger.External().Account(ledger.Clearing, w.Currency), Amount: w.Net()},
		}})
	if err != nil {
		return err
	}
	w.Status, w.PaidTxID, w.TransferID, w.UpdatedAt = Paid, tx.ID, transferID, s.clock.Now()
	if err := s.repo.SaveWithdrawal(ctx, *w); err != nil {
		return err
	}
	return s.step(ctx, w, Paid, "", "stripe", t)
}

// MyWithdrawals lists the caller's own withdrawals, newest first.
func (s *Service) MyWithdrawals(ctx context.Context, p page.Request) (page.Result[Withdrawal], error) {
	owner, err := s.mine(ctx)
	if err != nil {
		return page.Result[Withdrawal]{}, err
	}
	return s.list(ctx, Filter{Owner: &owner}, p)
}

// MyWithdrawal returns one of the caller's own withdrawals with its history; anyone else's is
// not found.
func (s *Service) MyWithdrawal(ctx context.Context, id uuid.UUID) (Withdrawal, error) {
	owner, err := s.mine(ctx)
	if err != nil {
		return Withdrawal{}, err
	}
	w, err := s.get(ctx, id)
	if err == nil && w.Owner != owner {
		return Withdrawal{}, ErrWithdrawalNotFound
	}
	return w, err
}

// Withdrawals lists the tenant's withdrawals for finance (tenant scope), by status.
func (s *Service) Withdrawals(ctx context.Context, status Status, p page.Request) (page.Result[Withdrawal], error) {
	if err := tenantScope(ctx); err != nil {
		return page.Result[Withdrawal]{}, err
	}
	return s.list(ctx, Filter{Status: status}, p)
}

// Withdrawal returns one withdrawal with its history for finance (tenant scope).
func (s *Service) Withdrawal(ctx context.Context, id uuid.UUID) (Withdrawal, error) {
	if err := tenantScope(ctx); err != nil {
		return Withdrawal{}, err
	}
	return s.get(ctx, id)
}

func (s *Service) get(ctx context.Context, id uuid.UUID) (Withdrawal, error) {
	var out Withdrawal
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.Withdrawal(ctx, id, false)
		return err
	})
	return out, err
}

func (s *Service) list(ctx context.Context, f Filter, p page.Request) (page.Result[Withdrawal], error) {
	var out page.Result[Withdrawal]
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.List(ctx, f, p.Normalize())
		return err
	})
	return out, err
}
