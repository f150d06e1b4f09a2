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

// Task types: TypeSweep is the every-minute platform task that queues TypeRepair for every
// active tenant through the outbox; TypeRepair is one tenant's safety net: orders whose unpaid
// timeout passed are cancelled (also those whose customer never started paying), and Stripe
// refunds still unanswered are sent again under their saved keys. Both are idempotent.
const (
	TypeSweep  = "payment:sweep"
	TypeRepair = "payment:repair"
)

// RepairPayload is TypeRepair's payload.
type RepairPayload struct {
	jobs.Meta
}

// TaskType implements jobs.Payload.
func (*RepairPayload) TaskType() string { return TypeRepair }

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
	jobs.Handle(mux, func(ctx context.Context, _ *RepairPayload) error { return s.Repair(ctx) })
	mux.HandleFunc(TypeSweep, func(ctx context.Context, _ *asynq.Task) error {
		_, err := s.Sweep(ctx)
		return err
	})
}

// RegisterPeriodic registers the sweep, every minute.
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("* * * * *", asynq.NewTask(TypeSweep, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(1),
		asynq.Unique(50*time.Second), asynq.Timeout(5*time.Minute))
	return err
}

// Sweep queues TypeRepair for every active tenant and returns how many it queued.
// A repair is not retried more than once: the next minute's sweep queues another.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if s.outbox == nil {
		return 0, nil
	}
	return s.outbox.FanOut(ctx, func() jobs.Payload { return &RepairPayload{} }, jobs.Queue(jobs.QueueLow), jobs.MaxRetry(1))
}

// Repair runs the safety net in the context's tenant: it cancels the orders whose unpaid
// timeout passed and sends again the Stripe refunds still unanswered.
func (s *Service) Repair(ctx context.Context) error {
	_, unpaid := s.SweepUnpaid(ctx)
	_, refunds := s.RetryPendingRefunds(ctx, 2*refundRepair)
	return errors.Join(wrapIf(unpaid, "unpaid"), wrapIf(refunds, "refunds"))
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
