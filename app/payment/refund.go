package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment/gateway"
	"doorstep/jobs"
)

// RefundRequest is a store or finance decision to refund (part of) a payment.
type RefundRequest struct {
	OrderID    uuid.UUID
	PaymentID  uuid.UUID
	Amount     int64
	Reason     string
	RequestKey string // the client's Idempotency-Key: a retry returns the first refund
}

// TypeRefund sends a saved refund to Stripe under its saved key (again, if the first call's
// outcome is unknown); idempotent.
const TypeRefund = "payment:refund"

// RefundPayload is TypeRefund's payload.
type RefundPayload struct {
	jobs.Meta
	RefundID uuid.UUID `json:"refund_id"`
}

// TaskType implements jobs.Payload.
func (*RefundPayload) TaskType() string { return TypeRefund }

// refundRepair is how long after a Stripe refund is saved the job looks at it again, in case
// the request's own call never learned its outcome.
const refundRepair = time.Minute

// Refund refunds (part of) a succeeded payment of an order in the caller's scope. The refund
// row (with its idempotency key), the RefundHook and the ledger posting commit together under
// the payment's row lock, so concurrent refunds never exceed what was paid; then Stripe is
// called under the saved key. A Stripe refusal fails the refund and reverses its posting.
func (s *Service) Refund(ctx context.Context, in RefundRequest) (Refund, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var v errs.Validation
	v.Check(in.PaymentID != uuid.Nil, "payment_id", "required")
	v.Check(in.Amount >= 1, "amount", "at least 1 (minor units)")
	v.Check(len([]rune(in.Reason)) >= 1 && len([]rune(in.Reason)) <= 500, "reason", "1 to 500 characters")
	v.Check(len(in.RequestKey) <= 200, "Idempotency-Key", "at most 200 characters")
	if err := v.Err(); err != nil {
		return Refund{}, err
	}
	var out Refund
	replay := false
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.order(ctx, in.OrderID, true); err != nil {
			return err
		}
		p, err := s.repo.GetPayment(ctx, in.PaymentID, true)
		if errs.KindOf(err) == errs.NotFound || (err == nil && p.OrderID != in.OrderID) {
			return ErrPaymentNotFound
		}
		if err != nil {
			return err
		}
		if in.RequestKey != "" {
			prev, found, err := s.repo.RefundByRequestKey(ctx, p.ID, in.RequestKey)
			if err != nil {
				return err
			}
			if found {
				if prev.Amount != in.Amount {
					return errs.New(errs.Invalid, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
				}
				out, replay = prev, true
				return nil
			}
		}
		out, err = s.newRefund(ctx, p, in.Amount, in.Reason, SourceAPI, in.RequestKey)
		return err
	})
	if err != nil || out.Status != StatusPending || (replay && out.StripeRefundID != "") {
		return out, err
	}
	r, err := s.ExecuteRefund(ctx, out.ID)
	if err != nil && gateway.Retryable(err) {
		return out, nil // saved and pending: the repair job calls again with the same key
	}
	return r, err
}

// newRefund writes a refund of p (locked by the caller, with its order) in the transaction of
// ctx: the row with its key, the payment's refunded sum, the RefundHook, the posting. A Stripe
// refund is pending and its call is queued as a repair job; cash and stored value are done.
func (s *Service) newRefund(ctx context.Context, p Payment, amount int64, reason, source, requestKey string) (Refund, error) {
	return s.newRefundAfter(ctx, p, amount, reason, source, requestKey, refundRepair)
}

// newRefundAfter is newRefund whose Stripe call is queued to run after delay.
func (s *Service) newRefundAfter(ctx context.Context, p Payment, amount int64, reason, source, requestKey string, delay time.Duration) (Refund, error) {
	if p.Status != StatusSucceeded {
		return Refund{}, ErrNotRefundable
	}
	if amount > p.Amount-p.Refunded {
		return Refund{}, errs.New(errs.Conflict, ErrRefundExceedsPaid.Code,
			fmt.Sprintf("at most %d can still be refunded from this payment", p.Amount-p.Refunded))
	}
	if p.Channel == ChannelVisitCard && amount != p.Amount-p.Refunded {
		return Refund{}, errs.Invalidf("visit_refund_partial", "a visit payment is refunded whole, by giving the visit back",
			errs.Field("amount", fmt.Sprintf("must be %d, the whole payment", p.Amount-p.Refunded)))
	}
	now := s.clock.Now()
	id := newID()
	r := Refund{ID: id, PaymentID: p.ID, OrderID: p.OrderID, Amount: amount, Currency: p.Currency, Reason: reason, Source: source,
		Status: StatusSucceeded, IdempotencyKey: "refund:" + id.String(), RequestKey: requestKey, CreatedBy: auth.Subject(ctx), CreatedAt: now, UpdatedAt: now}
	if p.Channel == ChannelStripe {
		r.Status = StatusPending
	}
	return r, s.postRefund(ctx, p, &r, delay)
}

// postRefund inserts r, adds it to the payment, runs the hooks and posts it; a pending
// Stripe refund's call is queued after delay (negative: not queued). A visit payment's refund
// posts nothing itself: the card area gives the visit back by reversing its card.redeem
// posting, which is the refund's ledger transaction.
func (s *Service) postRefund(ctx context.Context, p Payment, r *Refund, delay time.Duration) error {
	if err := s.repo.InsertRefund(ctx, *r); err != nil {
		return dbx.Err(err)
	}
	p.Refunded += r.Amount
	p.UpdatedAt = r.CreatedAt
	if err := s.repo.UpdatePayment(ctx, p); err != nil {
		return err
	}
	ps, err := s.repo.OrderPayments(ctx, p.OrderID, false)
	if err != nil {
		return err
	}
	out, err := s.outOfOrderFunds(ctx, p, *r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	hooks, visits := s.refundHks, s.visits
	s.mu.RUnlock()
	var redemption uuid.UUID
	if p.Channel == ChannelVisitCard {
		if redemption, err = visitRedemption(p); err != nil {
			return err
		}
		if visits == nil {
			return ErrNoVisitReturner
		}
		// The card row before any ledger row, as a redemption takes them: otherwise this
		// refund (holding the customer's visits account through the clawback's locks) and a
		// redemption of the same card on another order (holding the card) wait for each other.
		if err := visits.HoldVisit(ctx, redemption); err != nil {
			return err
		}
	}
	if out > 0 {
		for _, h := range hooks {
			if err := h.BeforeRefund(ctx, RefundFacts{RefundID: r.ID, OrderID: r.OrderID, Amount: out, Paid: paidOf(ps)}); err != nil {
				return err
			}
		}
	}
	if p.Channel == ChannelVisitCard {
		if r.LedgerTxID, err = visits.ReturnVisit(ctx, VisitReturn{RedemptionID: redemption, RefundID: r.ID, Reason: r.Reason}); err != nil {
			return err
		}
		return s.repo.UpdateRefund(ctx, *r)
	}
	tx, err := s.ledger.Post(ctx, refundPosting(p, *r))
	if err != nil {
		return err
	}
	r.LedgerTxID = tx.ID
	if err := s.repo.UpdateRefund(ctx, *r); err != nil {
		return err
	}
	if err := s.announceRefund(ctx, *r); err != nil {
		return err
	}
	if delay >= 0 && r.Status == StatusPending && s.outbox != nil {
		if _, err := s.outbox.Add(ctx, &RefundPayload{RefundID: r.ID}, jobs.ProcessIn(delay), jobs.MaxRetry(25)); err != nil {
			return err
		}
	}
	return nil
}

// outOfOrderFunds is what refund r of p takes out of HQ/order_funds (RefundFacts.Amount): its
// amount, or for a visit payment (refunded whole) what its card.redeem posting put in.
func (s *Service) outOfOrderFunds(ctx context.Context, p Payment, r Refund) (int64, error) {
	if p.Channel != ChannelVisitCard {
		return r.Amount, nil
	}
	if p.LedgerTxID == uuid.Nil {
		return 0, nil
	}
	tx, err := s.ledger.Get(ctx, p.LedgerTxID)
	if err != nil {
		return 0, err
	}
	var in int64
	for _, e := range tx.Entries {
		if e.Account.Owner.Kind == ledger.OwnerHQ && e.Account.Purpose == ledger.OrderFunds {
			in += e.Amount
		}
	}
	return in, nil
}

// refundPosting is docs/money.md's posting of a refund.
func refundPosting(p Payment, r Refund) ledger.Transaction {
	cur := p.Currency
	t := ledger.Transaction{Kind: "refund", Ref: ledger.Ref{Kind: "refund", ID: r.ID}, Key: "refund:" + r.ID.String(),
		Memo: r.Reason, CreatedBy: r.CreatedBy}
	if len(t.Memo) > 500 {
		t.Memo = t.Memo[:500]
	}
	if p.Channel == ChannelStoredValue {
		t.Kind = "refund.stored_value"
		t.Entries = []ledger.Entry{
			{Account: ledger.Customer(p.CustomerID).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: r.Amount},
			{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: -r.Amount},
			{Account: ledger.HQ().Account(ledger.CardFunds, cur), Amount: r.Amount},
			{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: -r.Amount},
		}
		return t
	}
	t.Entries = []ledger.Entry{
		{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: -r.Amount},
		{Account: ledger.External().Account(ledger.Clearing, cur), Amount: r.Amount},
	}
	return t
}

// ExecuteRefund sends a pending Stripe refund under its saved key and records the answer.
// Retryable failures leave it pending (the error says so); a refusal fails it.
func (s *Service) ExecuteRefund(ctx context.Context, id uuid.UUID) (Refund, error) {
	var r Refund
	var p Payment
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		if r, err = s.repo.GetRefund(ctx, id, false); err != nil {
			return err
		}
		p, err = s.repo.GetPayment(ctx, r.PaymentID, false)
		return err
	})
	if err != nil || r.Status != StatusPending || r.StripeRefundID != "" || p.Channel != ChannelStripe {
		return r, err
	}
	tenantID, _ := dbx.TenantID(ctx)
	reason := ""
	if r.Source == SourceCancellation || r.Source == SourceLatePayment {
		reason = "requested_by_customer"
	}
	got, err := call(ctx, s, func(ctx context.Context) (gateway.Refund, error) {
		return s.gw.Refund(ctx, gateway.RefundParams{Key: r.IdempotencyKey, IntentID: p.IntentID, Amount: r.Amount, Reason: reason,
			Metadata: map[string]string{MetaTenant: tenantID.String(), MetaPurpose: string(PurposeOrder), MetaRef: p.ID.String(), "refund_id": r.ID.String()}})
	})
	if err != nil && gateway.Retryable(err) {
		return r, err
	}
	err2 := s.db.InTx(ctx, func(ctx context.Context) error {
		cur, e := s.repo.GetRefund(ctx, id, true)
		if e != nil {
			return e
		}
		if err != nil {
			return s.failRefund(ctx, &cur, err.Error())
		}
		if cur.StripeRefundID == "" {
			cur.StripeRefundID, cur.UpdatedAt = got.ID, s.clock.Now()
		}
		if e := s.applyRefundStatus(ctx, &cur, got.Status, ""); e != nil {
			return e
		}
		r = cur
		return s.repo.UpdateRefund(ctx, cur)
	})
	if err2 != nil {
		return r, err2
	}
	if err != nil {
		return r, processorErr(err)
	}
	return r, nil
}

// rank orders refund statuses so that events in any order converge: pending → succeeded →
// failed (Stripe may fail a refund after it succeeded; never the other way).
func rank(status string) int {
	switch status {
	case StatusSucceeded:
		return 1
	case StatusFailed, StatusCanceled:
		return 2
	}
	return 0
}

// applyRefundStatus moves r (locked) forward to a Stripe status; the caller saves r.
func (s *Service) applyRefundStatus(ctx context.Context, r *Refund, stripeStatus, failure string) error {
	want := StatusPending
	switch stripeStatus {
	case "succeeded":
		want = StatusSucceeded
	case "failed", "canceled":
		want = StatusFailed
	}
	if rank(want) <= rank(r.Status) {
		return nil
	}
	if want == StatusFailed {
		return s.failRefund(ctx, r, failure)
	}
	r.Status, r.UpdatedAt = want, s.clock.Now()
	if err := s.announceRefund(ctx, *r); err != nil {
		return err
	}
	return nil
}

// failRefund marks r (locked) failed, tells the refund hooks (commission gives its clawback
// back), gives the amount back to its payment and reverses its posting; r is saved.
func (s *Service) failRefund(ctx context.Context, r *Refund, reason string) error {
	if r.Status == StatusFailed {
		return nil
	}
	p, err := s.repo.GetPayment(ctx, r.PaymentID, true)
	if err != nil {
		return err
	}
	ps, err := s.repo.OrderPayments(ctx, p.OrderID, false)
	if err != nil {
		return err
	}
	s.mu.RLock()
	hooks := s.refundHks
	s.mu.RUnlock()
	for _, h := range hooks { // first: the hooks lock what the reversal below touches
		if err := h.RefundFailed(ctx, RefundFacts{RefundID: r.ID, OrderID: r.OrderID, Amount: r.Amount, Paid: paidOf(ps)}); err != nil {
			return err
		}
	}
	now := s.clock.Now()
	if r.LedgerTxID != uuid.Nil {
		tx, err := s.ledger.Reverse(ctx, r.LedgerTxID, "refund:"+r.ID.String()+":failed", "refund failed", "payment")
		if err != nil && !errors.Is(err, ledger.ErrAlreadyReversed) {
			return err
		}
		r.ReversalTxID = tx.ID
	}
	p.Refunded -= r.Amount
	p.UpdatedAt = now
	if err := s.repo.UpdatePayment(ctx, p); err != nil {
		return err
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	r.Status, r.FailureReason, r.UpdatedAt = StatusFailed, reason, now
	if err := s.announceRefund(ctx, *r); err != nil {
		return err
	}
	return s.repo.UpdateRefund(ctx, *r)
}

// RetryPendingRefunds calls Stripe again for refunds still unanswered (the repair sweep).
func (s *Service) RetryPendingRefunds(ctx context.Context, olderThan time.Duration) (int, error) {
	var ids []uuid.UUID
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		ids, err = s.repo.PendingStripeRefunds(ctx, s.clock.Now().Add(-olderThan))
		return err
	})
	n := 0
	for _, id := range ids {
		if _, e := s.ExecuteRefund(ctx, id); e != nil {
			err = errors.Join(err, e)
			continue
		}
		n++
	}
	return n, err
}

// CancelAndRefund is the customer cancelling their order by the tenant's cancellation rules
// (booking decides the fee: cancel_fee_bp of the total after free_cancel_hours) and getting
// back what they paid less the fee, in one transaction; the Stripe refunds follow.
func (s *Service) CancelAndRefund(ctx context.Context, orderID uuid.UUID, reason string) ([]Refund, error) {
	if _, err := customerOnly(ctx); err != nil {
		return nil, err
	}
	var out []Refund
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.order(ctx, orderID, true); err != nil {
			return err
		}
		if _, err := s.orders.Cancel(ctx, orderID, reason); err != nil {
			return err
		}
		var err error
		out, err = s.refundCancelled(ctx, orderID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.executeAll(ctx, out), nil
}

// RefundCancelled refunds a cancelled order by its cancellation fee (for a booking hook or a
// job): the money paid and not yet refunded, less the fee not yet covered; visits redeemed on
// the order go back whole (the fee is money: it is never taken from a visit, so an order paid
// only by a visit costs the customer nothing to cancel). Idempotent.
func (s *Service) RefundCancelled(ctx context.Context, orderID uuid.UUID) ([]Refund, error) {
	var out []Refund
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.refundCancelled(ctx, orderID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.executeAll(ctx, out), nil
}

func (s *Service) refundCancelled(ctx context.Context, orderID uuid.UUID) ([]Refund, error) {
	o, err := s.repo.Order(ctx, orderID, true)
	if err != nil {
		return nil, err
	}
	if o.Status != booking.Cancelled {
		return nil, ErrPaymentNotDue
	}
	ps, err := s.repo.OrderPayments(ctx, orderID, true)
	if err != nil {
		return nil, err
	}
	var out []Refund
	var kept int64 // money that stays with the tenant already
	for _, p := range ps {
		switch {
		case p.Status != StatusSucceeded || p.Amount-p.Refunded <= 0:
		case p.Channel == ChannelVisitCard:
			// a visit goes back whole: no fee is taken from a visit
			r, err := s.newRefund(ctx, p, p.Amount-p.Refunded, "order cancelled: the card visit is given back", SourceCancellation, "")
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		default:
			kept += p.Amount - p.Refunded
		}
	}
	give := kept - o.CancelFee
	for _, p := range ps {
		if give <= 0 {
			break
		}
		if p.Status != StatusSucceeded || p.Channel == ChannelVisitCard || p.Amount-p.Refunded <= 0 {
			continue
		}
		amt := min(give, p.Amount-p.Refunded)
		r, err := s.newRefund(ctx, p, amt, "order cancelled by the customer", SourceCancellation, "")
		if err != nil {
			return nil, err
		}
		give -= amt
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) executeAll(ctx context.Context, rs []Refund) []Refund {
	for i, r := range rs {
		if r.Status != StatusPending {
			continue
		}
		if got, err := s.ExecuteRefund(ctx, r.ID); err == nil {
			rs[i] = got
		} else {
			s.log.WarnContext(ctx, "refund left for the repair job", "refund_id", r.ID, "err", err)
		}
	}
	return rs
}
