package card

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment"
)

// Redeem uses one visit of a visit card on an order: by the order's customer (their own card),
// or by staff whose data scope covers the order's store. The card's remaining visits drop in
// the same transaction as the card.redeem posting (docs/money.md): one visit leaves
// Customer/visits, and the visit's share of the price (price / visits, rounded; the last visit
// takes what is left) moves from card funds to the order's funds. An unlimited time card moves
// the order's total, as far as the card's funds reach. One redemption per order (until it is
// returned). The payment area records the redemption as the order's payment in the same
// transaction (an order that owes nothing is 409 nothing_due and nothing is written).
func (s *Service) Redeem(ctx context.Context, cardID, orderID uuid.UUID) (Redemption, error) {
	var out Redemption
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		// The order's row lock first, as the payment area takes it before a card's (refunds).
		o, oerr := s.Repo.Order(ctx, orderID)
		if oerr != nil && !errors.Is(oerr, ErrOrderNotFound) {
			return oerr
		}
		c, err := s.Repo.Card(ctx, cardID, true)
		if err != nil {
			return err
		}
		cust, isCust := customerOf(ctx)
		if isCust && c.CustomerID != cust {
			return ErrCardNotFound
		}
		if oerr != nil {
			return oerr
		}
		if isCust && o.CustomerID != cust {
			return ErrOrderNotFound
		}
		if !isCust {
			ok, err := s.inScope(ctx, o.StoreID)
			if err != nil {
				return err
			}
			if !ok {
				return ErrOrderNotFound
			}
		}
		now := s.Clock.Now()
		switch {
		case c.Kind != Visits:
			return ErrNotVisitCard
		case c.Status != Active || !now.Before(c.ExpiresAt) || !o.StartsAt.Before(c.ExpiresAt):
			return ErrCardExpired
		case o.CustomerID != c.CustomerID:
			return ErrOtherCustomer
		case c.ServiceID != uuid.Nil && c.ServiceID != o.ServiceID:
			return ErrServiceMismatch
		case o.Status == "cancelled" || o.Status == "no_show":
			return ErrOrderNotRedeem
		}
		var amount int64
		if c.VisitsRemaining != nil {
			left := *c.VisitsRemaining
			if left <= 0 {
				// say "already redeemed" before "no visits left" when both hold
				if err := s.Repo.InsertRedemption(ctx, Redemption{ID: uuid.Must(uuid.NewV7()), CardID: c.ID, OrderID: o.ID, CreatedBy: auth.Subject(ctx), CreatedAt: now}); err != nil {
					return err
				}
				return ErrNoVisitsLeft
			}
			amount = min(perVisit(c.Price, *c.VisitsTotal), c.FundsRemaining)
			if left == 1 {
				amount = c.FundsRemaining
			}
			c.VisitsRemaining = ptr(left - 1)
		} else {
			amount = min(o.Total, c.FundsRemaining)
		}
		c.FundsRemaining -= amount
		c.UpdatedAt = now
		r := Redemption{ID: uuid.Must(uuid.NewV7()), CardID: c.ID, OrderID: o.ID, Amount: amount, CreatedBy: auth.Subject(ctx), CreatedAt: now}
		if err := s.Repo.InsertRedemption(ctx, r); err != nil {
			return err
		}
		var entries []ledger.Entry
		if c.VisitsRemaining != nil {
			entries = append(entries,
				ledger.Entry{Account: ledger.Customer(c.CustomerID).Account(ledger.Visits, ledger.AssetVisits), Amount: -1},
				ledger.Entry{Account: ledger.HQ().Account(ledger.VisitsIssued, ledger.AssetVisits), Amount: 1})
		}
		if amount > 0 {
			entries = append(entries,
				ledger.Entry{Account: ledger.HQ().Account(ledger.CardFunds, c.Currency), Amount: -amount},
				ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, c.Currency), Amount: amount})
		}
		if len(entries) > 0 {
			tx, err := s.Ledger.Post(ctx, ledger.Transaction{Kind: "card.redeem", Ref: ledger.Ref{Kind: "order", ID: o.ID},
				Key: "card_redeem:" + r.ID.String(), Memo: "card " + c.ID.String(), CreatedBy: r.CreatedBy, Entries: entries})
			if errors.Is(err, ledger.ErrInsufficient) {
				return ErrNoVisitsLeft
			}
			if err != nil {
				return err
			}
			r.LedgerTxID = tx.ID
			if err := s.Repo.SetRedemptionTx(ctx, r.ID, tx.ID); err != nil {
				return err
			}
		}
		if err := s.Repo.SaveCard(ctx, c); err != nil {
			return err
		}
		if s.payments != nil {
			if _, err := s.payments.RecordVisit(ctx, payment.VisitRedemption{RedemptionID: r.ID, OrderID: o.ID, LedgerTxID: r.LedgerTxID}); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	return out, err
}

// HoldVisit implements payment.VisitReturner: it locks the redemption and its card, as a
// redemption locks the card before any ledger row.
func (s *Service) HoldVisit(ctx context.Context, redemptionID uuid.UUID) error {
	return s.DB.InTx(ctx, func(ctx context.Context) error {
		r, err := s.Repo.Redemption(ctx, redemptionID, true)
		if err != nil {
			return err
		}
		_, err = s.Repo.Card(ctx, r.CardID, true)
		return err
	})
}

// ReturnVisit implements payment.VisitReturner: the order's visit payment is refunded (by the
// store, or because the order was cancelled), so the visit goes back in the refund's
// transaction. The card.redeem posting is reversed (card.redeem.reversal, referencing the
// refund, key card_redeem:<redemption id>:returned): the visit back to Customer/visits, its
// value from the order's funds back to card funds; the card's remaining visits and funds are
// restored and the redemption marked returned. Returning twice returns the first reversal.
//
// A card that has expired meanwhile: the visit comes back and lapses at once, as it would have
// at expiry — a second card.expire (key card_expire:<card id>:<redemption id>) moves it back to
// HQ and its value from card funds to revenue, so the card stays at zero and the expiry's own
// posting (which saw the visit used) is neither repeated nor double counted. A card past its
// validity but not yet expired by the job simply gets the visit back; the job then expires it
// with everything it holds.
func (s *Service) ReturnVisit(ctx context.Context, in payment.VisitReturn) (uuid.UUID, error) {
	var out uuid.UUID
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		r, err := s.Repo.Redemption(ctx, in.RedemptionID, true)
		if err != nil {
			return err
		}
		if r.ReturnedAt != nil {
			out = r.ReturnTxID
			return nil
		}
		c, err := s.Repo.Card(ctx, r.CardID, true)
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		var posted ledger.Transaction
		if r.LedgerTxID != uuid.Nil {
			if posted, err = s.Ledger.ReverseFor(ctx, r.LedgerTxID, ledger.Ref{Kind: "refund", ID: in.RefundID},
				"card_redeem:"+r.ID.String()+":returned", memo(in.Reason), "payment"); err != nil {
				return err
			}
		}
		counted := c.VisitsRemaining != nil
		if c.Status == Expired {
			var entries []ledger.Entry
			if counted {
				entries = append(entries,
					ledger.Entry{Account: ledger.Customer(c.CustomerID).Account(ledger.Visits, ledger.AssetVisits), Amount: -1},
					ledger.Entry{Account: ledger.HQ().Account(ledger.VisitsIssued, ledger.AssetVisits), Amount: 1})
			}
			if r.Amount > 0 {
				entries = append(entries,
					ledger.Entry{Account: ledger.HQ().Account(ledger.CardFunds, c.Currency), Amount: -r.Amount},
					ledger.Entry{Account: ledger.HQ().Account(ledger.Revenue, c.Currency), Amount: r.Amount})
			}
			if len(entries) > 0 {
				if _, err := s.Ledger.Post(ctx, ledger.Transaction{Kind: "card.expire", Ref: ledger.Ref{Kind: "card", ID: c.ID},
					Key: "card_expire:" + c.ID.String() + ":" + r.ID.String(), Memo: "visit returned after expiry", CreatedBy: "system",
					Entries: entries}); err != nil {
					return err
				}
			}
		} else {
			if counted {
				c.VisitsRemaining = ptr(*c.VisitsRemaining + 1)
			}
			c.FundsRemaining += r.Amount
			c.UpdatedAt = now
			if err := s.Repo.SaveCard(ctx, c); err != nil {
				return err
			}
		}
		out = posted.ID
		return s.Repo.SetRedemptionReturned(ctx, r.ID, now, posted.ID)
	})
	return out, err
}

// memo is a ledger memo of at most 500 characters.
func memo(reason string) string {
	if r := []rune(reason); len(r) > 500 {
		return string(r[:500])
	}
	return reason
}

var _ payment.VisitReturner = (*Service)(nil)

// perVisit is one visit's share of the price, rounded half up.
func perVisit(price int64, visits int) int64 {
	if visits <= 0 {
		return price
	}
	n := int64(visits)
	return (price + n/2) / n
}

// Adjust changes a card's balance by delta (stored value in minor units, or visits) with a
// reason, as HQ (cards:write): posted as card.adjust (Customer ± delta against HQ's issued
// account) in the same transaction as the adjustment row, audited, never below zero.
//
// requestKey is the client's Idempotency-Key (optional, unique per requester): a retry returns
// the first adjustment and posts nothing; the key with another card, delta or reason is
// idempotency_key_reused. Retries on one card wait for its row lock and find the first; a
// concurrent use of the key on another card loses on the unique constraint and is told so.
func (s *Service) Adjust(ctx context.Context, cardID uuid.UUID, delta int64, reason, requestKey string) (Adjustment, error) {
	reason = trim(reason)
	var v errs.Validation
	v.Check(delta != 0 && delta >= -1_000_000_000 && delta <= 1_000_000_000, "delta", "a non-zero amount within ±1,000,000,000")
	v.Check(len([]rune(reason)) >= 1 && len([]rune(reason)) <= 500, "reason", "1 to 500 characters")
	v.Check(len(requestKey) <= 200, "Idempotency-Key", "at most 200 characters")
	if err := v.Err(); err != nil {
		return Adjustment{}, err
	}
	if p, ok := auth.FromContext(ctx); ok && p != nil && p.Kind == auth.User && p.Scope != auth.ScopeTenant {
		return Adjustment{}, errs.New(errs.Forbidden, "scope_denied", "adjusting cards is for head office")
	}
	out, err := s.adjust(ctx, cardID, delta, reason, requestKey)
	if requestKey != "" && dbx.IsConstraint(err, "card_adjustments_request_key") {
		out, err = s.adjust(ctx, cardID, delta, reason, requestKey) // the concurrent winner's answer
	}
	return out, err
}

func (s *Service) adjust(ctx context.Context, cardID uuid.UUID, delta int64, reason, requestKey string) (Adjustment, error) {
	var out Adjustment
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		c, err := s.Repo.Card(ctx, cardID, true)
		if err != nil {
			return err
		}
		if requestKey != "" {
			prev, found, err := s.Repo.AdjustmentByRequestKey(ctx, auth.Subject(ctx), requestKey)
			if err != nil {
				return err
			}
			if found {
				if prev.CardID != c.ID || prev.Delta != delta || prev.Reason != reason {
					return ErrKeyReused
				}
				out = prev
				return nil
			}
		}
		// Microseconds, as stored: a replay reads the row back and answers the same.
		now := s.Clock.Now().Truncate(time.Microsecond)
		if c.Status != Active || !now.Before(c.ExpiresAt) {
			return ErrCardExpired
		}
		before := c
		var mine, issued ledger.Account
		cust := ledger.Customer(c.CustomerID)
		switch {
		case c.Kind == StoredValue:
			if c.Credited+delta < 0 {
				return ledger.ErrInsufficient
			}
			c.Credited += delta
			mine, issued = cust.Account(ledger.StoredValue, ledger.AssetStoredValue), ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue)
		case c.VisitsRemaining != nil:
			left := int64(*c.VisitsRemaining) + delta
			if left < 0 {
				return ledger.ErrInsufficient
			}
			if left > 1_000_000 {
				return errs.InvalidFields(errs.Field("delta", "too many visits"))
			}
			c.VisitsRemaining = ptr(int(left))
			mine, issued = cust.Account(ledger.Visits, ledger.AssetVisits), ledger.HQ().Account(ledger.VisitsIssued, ledger.AssetVisits)
		default:
			return ErrNotAdjustable
		}
		a := Adjustment{ID: uuid.Must(uuid.NewV7()), CardID: c.ID, Delta: delta, Reason: reason, RequestKey: requestKey, CreatedBy: auth.Subject(ctx), CreatedAt: now}
		tx, err := s.Ledger.Post(ctx, ledger.Transaction{Kind: "card.adjust", Ref: ledger.Ref{Kind: "card", ID: c.ID},
			Key: "card_adjust:" + a.ID.String(), Memo: reason, CreatedBy: a.CreatedBy,
			Entries: []ledger.Entry{{Account: mine, Amount: delta}, {Account: issued, Amount: -delta}}})
		if err != nil {
			return err
		}
		a.LedgerTxID = tx.ID
		c.UpdatedAt = now
		if err := s.Repo.SaveCard(ctx, c); err != nil {
			return err
		}
		if err := s.Repo.InsertAdjustment(ctx, a); err != nil {
			return err
		}
		out = a
		return s.Audit.Record(ctx, "card.adjust", "card", c.ID.String(),
			map[string]any{"credited": before.Credited, "visits_remaining": before.VisitsRemaining},
			map[string]any{"credited": c.Credited, "visits_remaining": c.VisitsRemaining, "delta": delta, "reason": reason, "ledger_tx_id": tx.ID})
	})
	return out, err
}
