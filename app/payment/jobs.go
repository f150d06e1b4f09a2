package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/booking"
	"doorstep/jobs"
)

// TypeSweep is the periodic safety net, in every active tenant: orders whose unpaid timeout
// passed are cancelled (also those whose customer never started paying), and Stripe refunds
// still unanswered are sent again under their saved keys.
const TypeSweep = "payment:sweep"

// RegisterTasks adds the payment job handlers to mux.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	jobs.Handle(mux, func(ctx context.Context, p *WebhookPayload) error {
		if p.EventID == "" {
			return fmt.Errorf("payment: webhook task without event: %w", asynq.SkipRetry)
		}
		return s.ProcessEvent(ctx, p.EventID)
	})
	jobs.Handle(mux, func(ctx context.Context, p *AutoCancelPayload) error {
		if p.OrderID == uuid.Nil {
			return fmt.Errorf("payment: auto cancel without order: %w", asynq.SkipRetry)
		}
		_, err := s.AutoCancel(ctx, p.OrderID)
		return err
	})
	jobs.Handle(mux, func(ctx context.Context, p *CancelIntentPayload) error {
		if p.PaymentID == uuid.Nil {
			return fmt.Errorf("payment: cancel intent without payment: %w", asynq.SkipRetry)
		}
		return s.CancelIntent(ctx, p.PaymentID)
	})
	jobs.Handle(mux, func(ctx context.Context, p *RefundPayload) error {
		if p.RefundID == uuid.Nil {
			return fmt.Errorf("payment: refund task without refund: %w", asynq.SkipRetry)
		}
		_, err := s.ExecuteRefund(ctx, p.RefundID)
		return err
	})
	jobs.Handle(mux, func(ctx context.Context, p *RefundCancelledPayload) error {
		if p.OrderID == uuid.Nil {
			return fmt.Errorf("payment: cancellation refund without order: %w", asynq.SkipRetry)
		}
		_, err := s.RefundCancelled(ctx, p.OrderID)
		if errors.Is(err, ErrPaymentNotDue) {
			return nil // the order is no longer cancelled (nothing to give back)
		}
		return err
	})
	mux.HandleFunc(TypeSweep, func(ctx context.Context, _ *asynq.Task) error { return s.SweepAll(ctx) })
}

// RegisterPeriodic registers the sweep, every minute.
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("* * * * *", asynq.NewTask(TypeSweep, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(1),
		asynq.Unique(50*time.Second), asynq.Timeout(5*time.Minute))
	return err
}

// SweepAll runs the sweep in every active tenant.
func (s *Service) SweepAll(ctx context.Context) error {
	_, err := jobs.EachActiveTenant(ctx, s.db, func(ctx context.Context) (int, error) {
		_, unpaid := s.SweepUnpaid(ctx)
		_, refunds := s.RetryPendingRefunds(ctx, 2*refundRepair)
		return 0, errors.Join(wrapIf(unpaid, "unpaid"), wrapIf(refunds, "refunds"))
	})
	return err
}

func wrapIf(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// TypeRefundCancelled refunds a cancelled order: what was paid less the cancellation fee.
const TypeRefundCancelled = "payment:refund_cancelled"

// RefundCancelledPayload names the cancelled order.
type RefundCancelledPayload struct {
	jobs.Meta
	OrderID uuid.UUID `json:"order_id"`
}

// TaskType implements jobs.Payload.
func (*RefundCancelledPayload) TaskType() string { return TypeRefundCancelled }

// OrderCancelled implements booking.CancelHook: in the cancellation's transaction it enqueues
// the refund of what was paid less the fee, however the order was cancelled (by the customer,
// the store or the unpaid timeout). The refund is idempotent, so the storefront's
// cancel-with-refund, which refunds at once, and this task never give back twice.
func (s *Service) OrderCancelled(ctx context.Context, orderID uuid.UUID) error {
	if s.outbox == nil {
		return nil
	}
	_, err := s.outbox.Add(ctx, &RefundCancelledPayload{OrderID: orderID}, jobs.Queue(jobs.QueueCritical))
	return err
}

var _ booking.CancelHook = (*Service)(nil)
