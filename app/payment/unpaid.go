package payment

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/app/kit/errs"
	"doorstep/app/payment/gateway"
	"doorstep/jobs"
)

// TypeAutoCancel cancels an order still unpaid at its deadline (created_at + the tenant's
// unpaid timeout) and cancels its open PaymentIntents. Enqueued through the outbox when
// payment starts (and by the sweep); idempotent: a paid or cancelled order is left alone.
const TypeAutoCancel = "payment:auto_cancel"

// AutoCancelPayload is TypeAutoCancel's payload.
type AutoCancelPayload struct {
	jobs.Meta
	OrderID uuid.UUID `json:"order_id"`
}

// TaskType implements jobs.Payload.
func (*AutoCancelPayload) TaskType() string { return TypeAutoCancel }

// TypeCancelIntent cancels one payment's PaymentIntent at Stripe (key pi-cancel:<payment>).
const TypeCancelIntent = "payment:cancel_intent"

// CancelIntentPayload is TypeCancelIntent's payload.
type CancelIntentPayload struct {
	jobs.Meta
	PaymentID uuid.UUID `json:"payment_id"`
}

// TaskType implements jobs.Payload.
func (*CancelIntentPayload) TaskType() string { return TypeCancelIntent }

func (s *Service) scheduleAutoCancel(ctx context.Context, o OrderFacts, set Settings) error {
	if s.outbox == nil {
		return nil
	}
	at := o.CreatedAt.Add(time.Duration(set.UnpaidTimeoutMinutes) * time.Minute)
	_, err := s.outbox.Add(ctx, &AutoCancelPayload{OrderID: o.ID}, jobs.ProcessAt(at), jobs.Queue(jobs.QueueCritical))
	return err
}

// ScheduleAutoCancel enqueues the unpaid-order timeout for an order (booking may call it in
// the transaction that creates an order in pending_payment).
func (s *Service) ScheduleAutoCancel(ctx context.Context, orderID uuid.UUID) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Order(ctx, orderID, false)
		if err != nil {
			return err
		}
		if o.Status != booking.PendingPayment {
			return nil
		}
		set, err := s.repo.Settings(ctx)
		if err != nil {
			return err
		}
		return s.scheduleAutoCancel(ctx, o, set)
	})
}

func (s *Service) enqueueCancelIntent(ctx context.Context, p Payment) error {
	if s.outbox == nil {
		return nil
	}
	_, err := s.outbox.Add(ctx, &CancelIntentPayload{PaymentID: p.ID})
	return err
}

// AutoCancel runs TypeAutoCancel: an order still pending payment after its deadline is
// cancelled through the booking service (system actor) and its open intents are cancelled;
// one whose deadline moved later (the timeout was raised) is looked at again then.
func (s *Service) AutoCancel(ctx context.Context, orderID uuid.UUID) (bool, error) {
	cancelled := false
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Order(ctx, orderID, true)
		if errs.KindOf(err) == errs.NotFound {
			return nil
		}
		if err != nil || o.Status != booking.PendingPayment {
			return err
		}
		set, err := s.repo.Settings(ctx)
		if err != nil {
			return err
		}
		if deadline := o.CreatedAt.Add(time.Duration(set.UnpaidTimeoutMinutes) * time.Minute); s.clock.Now().Before(deadline) {
			return s.scheduleAutoCancel(ctx, o, set)
		}
		ps, err := s.repo.OrderPayments(ctx, orderID, true)
		if err != nil {
			return err
		}
		if paidOf(ps) > 0 {
			return nil // paid; the confirmation is on its way
		}
		if _, err := s.orders.Cancel(system(ctx), orderID, "unpaid: cancelled automatically after the payment timeout"); err != nil {
			if booking.IsIllegal(err) {
				return nil
			}
			return err
		}
		cancelled = true
		for _, p := range ps {
			if p.Channel == ChannelStripe && (p.Status == StatusPending || p.Status == StatusFailed) {
				if err := s.enqueueCancelIntent(ctx, p); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return cancelled, err
}

// CancelIntent runs TypeCancelIntent: the intent is cancelled at Stripe under the key
// pi-cancel:<payment id>, and the payment marked canceled unless it succeeded meanwhile (then
// the succeeded event refunds it, since the order is cancelled).
func (s *Service) CancelIntent(ctx context.Context, paymentID uuid.UUID) error {
	var p Payment
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		p, err = s.repo.GetPayment(ctx, paymentID, false)
		return err
	})
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil || p.Status == StatusSucceeded {
		return err
	}
	if p.IntentID != "" {
		_, err := call(ctx, s, func(ctx context.Context) (gateway.Intent, error) {
			return s.gw.CancelPaymentIntent(ctx, "pi-cancel:"+p.ID.String(), p.IntentID)
		})
		if err != nil && gateway.Retryable(err) {
			return err
		}
		if err != nil {
			s.log.WarnContext(ctx, "payment intent not cancelled", "payment_id", p.ID, "err", err)
		}
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.repo.GetPayment(ctx, paymentID, true)
		if err != nil {
			return err
		}
		if cur.Status == StatusPending || cur.Status == StatusFailed {
			cur.Status, cur.UpdatedAt = StatusCanceled, s.clock.Now()
			return s.repo.UpdatePayment(ctx, cur)
		}
		return nil
	})
}

// SweepUnpaid cancels the tenant's orders whose unpaid timeout passed (the periodic safety
// net for orders whose customer never started paying).
func (s *Service) SweepUnpaid(ctx context.Context) (int, error) {
	var ids []uuid.UUID
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		ids, err = s.repo.OverdueUnpaid(ctx, s.clock.Now())
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		ok, err := s.AutoCancel(ctx, id)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
