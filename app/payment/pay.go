package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment/gateway"
)

// system is ctx without its principal: the booking service then acts as the system actor.
func system(ctx context.Context) context.Context { return auth.WithPrincipal(ctx, nil) }

func customerOnly(ctx context.Context) (*auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.Customer {
		return nil, ErrCustomersOnly
	}
	return p, nil
}

// afterService reports whether the work is done and the balance is due.
func afterService(st booking.State) bool {
	return st == booking.AwaitingAcceptance || st == booking.Completed || st == booking.Closed
}

// due decides what an order takes now: the kind and the amount still owed for it.
func due(o OrderFacts, set Settings, ps []Payment) (string, int64, error) {
	paid := paidOf(ps)
	switch {
	case o.Status == booking.PendingPayment:
		kind, amount := KindFull, o.Total
		if set.Mode == "deposit" {
			kind, amount = KindDeposit, max(o.Total*int64(set.DepositPercent)/100, 1)
		}
		if amount-paid <= 0 {
			return kind, 0, ErrNothingDue
		}
		return kind, amount - paid, nil
	case afterService(o.Status):
		if o.Total-paid <= 0 {
			return KindBalance, 0, ErrNothingDue
		}
		return KindBalance, o.Total - paid, nil
	}
	return "", 0, ErrPaymentNotDue
}

// StartPayment is the customer paying their order through Stripe: before service (prepay or
// deposit, while the order is pending_payment) or after it (the balance). It saves a pending
// payment with its idempotency key, then creates the PaymentIntent under that key and returns
// the payment with the client secret. Calling again returns the same payment and intent.
func (s *Service) StartPayment(ctx context.Context, orderID uuid.UUID) (Payment, error) {
	if _, err := customerOnly(ctx); err != nil {
		return Payment{}, err
	}
	var p Payment
	var set Settings
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.order(ctx, orderID, true)
		if err != nil {
			return err
		}
		if set, err = s.repo.Settings(ctx); err != nil {
			return err
		}
		ps, err := s.repo.OrderPayments(ctx, orderID, false)
		if err != nil {
			return err
		}
		kind, amount, err := due(o, set, ps)
		if err != nil {
			return err
		}
		open, found, err := s.repo.OpenStripePayment(ctx, orderID, kind)
		if err != nil {
			return err
		}
		if found && open.Amount == amount {
			p = open
			return nil
		}
		now := s.clock.Now()
		if found { // the amount changed (an extra item was approved): the old intent is dropped
			open.Status, open.UpdatedAt = StatusCanceled, now
			if err := s.repo.UpdatePayment(ctx, open); err != nil {
				return err
			}
			if err := s.enqueueCancelIntent(ctx, open); err != nil {
				return err
			}
		}
		id := newID()
		p = Payment{ID: id, OrderID: o.ID, CustomerID: o.CustomerID, StoreID: o.StoreID, Kind: kind, Channel: ChannelStripe,
			Amount: amount, Currency: o.Currency, Status: StatusPending, IdempotencyKey: "pi:" + id.String(), CreatedAt: now, UpdatedAt: now}
		if err := s.repo.InsertPayment(ctx, p); err != nil {
			return dbx.Err(err)
		}
		if o.Status == booking.PendingPayment {
			return s.scheduleAutoCancel(ctx, o, set)
		}
		return nil
	})
	if err != nil {
		return Payment{}, err
	}
	if p.IntentID != "" {
		return p, nil
	}
	return s.createIntent(ctx, p, set.MethodTypes)
}

// createIntent calls Stripe under the payment's saved key and records the intent.
func (s *Service) createIntent(ctx context.Context, p Payment, methods []string) (Payment, error) {
	tenantID, _ := dbx.TenantID(ctx)
	in, err := call(ctx, s, func(ctx context.Context) (gateway.Intent, error) {
		return s.gw.CreatePaymentIntent(ctx, gateway.IntentParams{Key: p.IdempotencyKey, Amount: p.Amount, Currency: p.Currency,
			MethodTypes: methods, Description: "order " + p.OrderID.String(),
			Metadata: map[string]string{MetaTenant: tenantID.String(), MetaPurpose: string(PurposeOrder), MetaRef: p.ID.String()}})
	})
	if err != nil && !gateway.Retryable(err) {
		// Refused (e.g. a method the currency does not allow): the payment is dropped, so the
		// next attempt (after the settings are fixed) starts a new one.
		_ = s.db.InTx(ctx, func(ctx context.Context) error {
			cur, e := s.repo.GetPayment(ctx, p.ID, true)
			if e != nil || cur.IntentID != "" {
				return e
			}
			var ge *gateway.Error
			if errors.As(err, &ge) {
				cur.FailureCode = ge.Code
			}
			cur.Status, cur.UpdatedAt = StatusCanceled, s.clock.Now()
			return s.repo.UpdatePayment(ctx, cur)
		})
	}
	if err != nil {
		return Payment{}, processorErr(err)
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.repo.GetPayment(ctx, p.ID, true)
		if err != nil {
			return err
		}
		if cur.IntentID == "" {
			cur.IntentID, cur.ClientSecret, cur.UpdatedAt = in.ID, in.ClientSecret, s.clock.Now()
			if err := s.repo.UpdatePayment(ctx, cur); err != nil {
				return err
			}
		}
		p = cur
		return nil
	})
	return p, err
}

// processorErr maps a gateway failure to a problem: no answer is 503 (retry later, the same
// key is used), a refusal is 409 payment_processor_refused.
func processorErr(err error) error {
	var ge *gateway.Error
	if errors.As(err, &ge) && !gateway.Retryable(err) {
		return errs.Wrap(err, errs.Conflict, "payment_processor_refused", "the payment processor refused: "+ge.Message)
	}
	return errs.Wrap(err, errs.Unavailable, "payment_processor_unavailable", "the payment processor did not answer; try again")
}

// succeed records p as paid by method in the transaction of ctx, with the order row locked:
// the ledger posting, then what the order does next (afterPaid).
func (s *Service) succeed(ctx context.Context, o OrderFacts, p Payment, method string) (Payment, error) {
	return s.succeedWith(ctx, o, p, method, p.Amount)
}

// succeedWith is succeed for a payment the processor says brought in received (at most
// p.Amount): the payment and its posting are what was received, and a payment short of what
// it asked for does not confirm the order (the rest is still due).
func (s *Service) succeedWith(ctx context.Context, o OrderFacts, p Payment, method string, received int64) (Payment, error) {
	now := s.clock.Now()
	ps, err := s.repo.OrderPayments(ctx, o.ID, false)
	if err != nil {
		return p, err
	}
	before := paidOf(ps)
	asked := p.Amount
	p.Amount = min(received, p.Amount)
	tx, err := s.ledger.Post(ctx, paymentPosting(p, method))
	if err != nil {
		return p, err
	}
	p.Status, p.Method, p.PaidAt, p.LedgerTxID, p.UpdatedAt = StatusSucceeded, method, &now, tx.ID, now
	if err := s.repo.UpdatePayment(ctx, p); err != nil {
		return p, err
	}
	if err := s.announcePaid(ctx, o, p); err != nil {
		return p, err
	}
	return p, s.afterPaid(ctx, o, p, before, asked)
}

// afterPaid is what an order does once p (succeeded and saved, the order locked) is paid, when
// it had been paid before before and p was meant to pay asked: confirmed when it was waiting
// for payment and p paid all it asked; refunded when it was cancelled meanwhile; the excess
// refunded at once when p took it past its total (two ways of paying raced); the PaidHook when
// the order is fully paid after p (every time: commission grows a split by what came in
// after it).
func (s *Service) afterPaid(ctx context.Context, o OrderFacts, p Payment, before, asked int64) error {
	switch {
	case o.Status == booking.Cancelled || o.Status == booking.NoShow:
		// Paid after the order was cancelled (e.g. the unpaid timeout won the race): all back.
		_, err := s.newRefundAfter(ctx, p, p.Amount, "order cancelled before the payment arrived", SourceLatePayment, "", 0)
		return err
	case o.Status == booking.PendingPayment && p.Kind != KindBalance && p.Amount >= asked:
		if _, err := s.orders.ConfirmPayment(system(ctx), o.ID); err != nil {
			return fmt.Errorf("payment: confirm order %s: %w", o.ID, err)
		}
	}
	if excess := min(before+p.Amount-o.Total, p.Amount); excess > 0 && p.Channel != ChannelVisitCard {
		if _, err := s.newRefundAfter(ctx, p, excess, "paid more than the order's total: the excess is returned", SourceOverpayment, "", 0); err != nil {
			return err
		}
	}
	if before+p.Amount >= o.Total { // fully paid (again: commission shares out what came in since)
		s.mu.RLock()
		hooks := s.paidHks
		s.mu.RUnlock()
		for _, h := range hooks {
			if err := h.OrderPaid(ctx, o.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// visitKeyPrefix starts a visit payment's idempotency key; the redemption's ID follows.
const visitKeyPrefix = "visit:"

// RecordVisit implements card.Payments: a visit redeemed on an order (in the redemption's
// transaction) is a succeeded payment of channel and method visit_card that posts nothing of
// its own — its ledger transaction is the card.redeem posting. A visit covers the service, so
// the payment is what the order still owes (its total less what was paid), of kind full while
// the order waits for payment (any deposit included) and balance otherwise; then the order
// goes on as after any payment (afterPaid), and open Stripe payments, now pointless, are
// cancelled. An order that owes nothing is 409 nothing_due; a cancelled one payment_not_due.
func (s *Service) RecordVisit(ctx context.Context, v VisitRedemption) (Payment, error) {
	var out Payment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Order(ctx, v.OrderID, true)
		if errs.KindOf(err) == errs.NotFound {
			return ErrOrderNotFound
		}
		if err != nil {
			return err
		}
		if o.Status == booking.Cancelled || o.Status == booking.NoShow {
			return ErrPaymentNotDue
		}
		ps, err := s.repo.OrderPayments(ctx, o.ID, true)
		if err != nil {
			return err
		}
		before := paidOf(ps)
		if o.Total-before <= 0 {
			return ErrNothingDue
		}
		kind := KindBalance
		if o.Status == booking.PendingPayment {
			kind = KindFull
		}
		now := s.clock.Now()
		out = Payment{ID: newID(), OrderID: o.ID, CustomerID: o.CustomerID, StoreID: o.StoreID, Kind: kind, Channel: ChannelVisitCard,
			Method: ChannelVisitCard, Amount: o.Total - before, Currency: o.Currency, Status: StatusSucceeded,
			IdempotencyKey: visitKeyPrefix + v.RedemptionID.String(), RecordedBy: auth.Subject(ctx), LedgerTxID: v.LedgerTxID,
			PaidAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := s.repo.InsertPayment(ctx, out); err != nil {
			return dbx.Err(err)
		}
		for _, p := range ps {
			if p.Channel == ChannelStripe && (p.Status == StatusPending || p.Status == StatusFailed) {
				p.Status, p.UpdatedAt = StatusCanceled, now
				if err := s.repo.UpdatePayment(ctx, p); err != nil {
					return err
				}
				if err := s.enqueueCancelIntent(ctx, p); err != nil {
					return err
				}
			}
		}
		return s.afterPaid(ctx, o, out, before, out.Amount)
	})
	return out, err
}

// visitRedemption is the redemption a visit payment records (from its key).
func visitRedemption(p Payment) (uuid.UUID, error) {
	id, err := uuid.Parse(strings.TrimPrefix(p.IdempotencyKey, visitKeyPrefix))
	if err != nil || !strings.HasPrefix(p.IdempotencyKey, visitKeyPrefix) {
		return uuid.Nil, fmt.Errorf("payment %s: visit payment without its redemption (key %q)", p.ID, p.IdempotencyKey)
	}
	return id, nil
}

// paymentPosting is docs/money.md's posting of a payment.
func paymentPosting(p Payment, method string) ledger.Transaction {
	cur := p.Currency
	t := ledger.Transaction{Kind: "payment." + method, Ref: ledger.Ref{Kind: "order", ID: p.OrderID},
		Key: "payment:" + p.ID.String() + ":succeeded", Memo: "order payment (" + p.Kind + ")", CreatedBy: "payment"}
	if method == ChannelStoredValue {
		t.Entries = []ledger.Entry{
			{Account: ledger.Customer(p.CustomerID).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: -p.Amount},
			{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: p.Amount},
			{Account: ledger.HQ().Account(ledger.CardFunds, cur), Amount: -p.Amount},
			{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: p.Amount},
		}
		return t
	}
	t.Entries = []ledger.Entry{
		{Account: ledger.External().Account(ledger.Clearing, cur), Amount: -p.Amount},
		{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: p.Amount},
	}
	return t
}

// PayWithStoredValue is the customer paying what the order owes now from their stored value:
// one payment and its payment.stored_value posting; a balance too low is 409
// insufficient_balance (decided by the ledger under the row lock) and nothing is written.
func (s *Service) PayWithStoredValue(ctx context.Context, orderID uuid.UUID) (Payment, error) {
	if _, err := customerOnly(ctx); err != nil {
		return Payment{}, err
	}
	var out Payment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.order(ctx, orderID, true)
		if err != nil {
			return err
		}
		set, err := s.repo.Settings(ctx)
		if err != nil {
			return err
		}
		ps, err := s.repo.OrderPayments(ctx, orderID, false)
		if err != nil {
			return err
		}
		kind, amount, err := due(o, set, ps)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		id := newID()
		p := Payment{ID: id, OrderID: o.ID, CustomerID: o.CustomerID, StoreID: o.StoreID, Kind: kind, Channel: ChannelStoredValue,
			Amount: amount, Currency: o.Currency, Status: StatusPending, IdempotencyKey: "sv:" + id.String(), RecordedBy: auth.Subject(ctx),
			CreatedAt: now, UpdatedAt: now}
		if err := s.repo.InsertPayment(ctx, p); err != nil {
			return dbx.Err(err)
		}
		out, err = s.succeed(ctx, o, p, ChannelStoredValue)
		return err
	})
	return out, err
}

// RecordCash is the staff member who served the order recording the cash they collected for
// what it owes after service; the customer then confirms it (ConfirmCash).
func (s *Service) RecordCash(ctx context.Context, orderID uuid.UUID, amount int64) (Payment, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.User {
		return Payment{}, ErrNoStaffProfile
	}
	var out Payment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		staffID, err := s.repo.StaffOfUser(ctx, p.SubjectID)
		if errs.KindOf(err) == errs.NotFound {
			return ErrNoStaffProfile
		}
		if err != nil {
			return err
		}
		o, err := s.repo.Order(ctx, orderID, true)
		if errs.KindOf(err) == errs.NotFound {
			return ErrNotYourJob
		}
		if err != nil {
			return err
		}
		if held, err := s.repo.HeldBy(ctx, orderID, staffID); err != nil {
			return err
		} else if !held {
			return ErrNotYourJob
		}
		if !afterService(o.Status) {
			return ErrPaymentNotDue
		}
		ps, err := s.repo.OrderPayments(ctx, orderID, false)
		if err != nil {
			return err
		}
		owed := o.Total - paidOf(ps)
		if owed <= 0 {
			return ErrNothingDue
		}
		var v errs.Validation
		v.Check(amount >= 1 && amount <= owed, "amount", fmt.Sprintf("1 to %d (what the order still owes)", owed))
		if err := v.Err(); err != nil {
			return err
		}
		now := s.clock.Now()
		id := newID()
		out = Payment{ID: id, OrderID: o.ID, CustomerID: o.CustomerID, StoreID: o.StoreID, Kind: KindBalance, Channel: ChannelCash,
			Amount: amount, Currency: o.Currency, Status: StatusAwaitingConfirmation, IdempotencyKey: "cash:" + id.String(),
			StaffID: staffID, RecordedBy: auth.Subject(ctx), CreatedAt: now, UpdatedAt: now}
		if err := s.repo.InsertPayment(ctx, out); err != nil {
			if dbx.IsConstraint(err, "payments_cash_open_key") {
				return ErrCashOpen
			}
			return dbx.Err(err)
		}
		return nil
	})
	return out, err
}

// ConfirmCash is the customer confirming the cash the staff member recorded: the payment
// succeeds with its payment.cash posting. Confirming twice is a 409.
func (s *Service) ConfirmCash(ctx context.Context, orderID, paymentID uuid.UUID) (Payment, error) {
	if _, err := customerOnly(ctx); err != nil {
		return Payment{}, err
	}
	var out Payment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.order(ctx, orderID, true)
		if err != nil {
			return err
		}
		p, err := s.repo.GetPayment(ctx, paymentID, true)
		if errs.KindOf(err) == errs.NotFound || (err == nil && p.OrderID != o.ID) {
			return ErrPaymentNotFound
		}
		if err != nil {
			return err
		}
		if p.Channel != ChannelCash || p.Status != StatusAwaitingConfirmation {
			return ErrCashNotAwaiting
		}
		out, err = s.succeed(ctx, o, p, ChannelCash)
		return err
	})
	return out, err
}
