package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/errs"
	"doorstep/jobs"
)

// TypeAutoAccept accepts an order on the customer's behalf once the tenant's auto_accept_hours
// have passed since completion. Enqueued through the outbox at completion with ProcessAt; it
// does nothing unless the order is still awaiting acceptance, so duplicates and orders the
// customer accepted (or sent back for rework) in the meantime are harmless.
const TypeAutoAccept = "booking:auto_accept"

// AutoAcceptPayload is TypeAutoAccept's payload.
type AutoAcceptPayload struct {
	jobs.Meta
	OrderID uuid.UUID `json:"order_id"`
}

// TaskType implements jobs.Payload.
func (*AutoAcceptPayload) TaskType() string { return TypeAutoAccept }

func (s *Service) scheduleAutoAccept(ctx context.Context, id uuid.UUID, at time.Time) error {
	if s.outbox == nil {
		return nil
	}
	if _, err := s.outbox.Add(ctx, &AutoAcceptPayload{OrderID: id}, jobs.ProcessAt(at)); err != nil {
		return fmt.Errorf("booking: schedule auto-accept: %w", err)
	}
	return nil
}

// RegisterTasks adds the booking job handlers to mux: auto-acceptance and recurring bookings.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	jobs.Handle(mux, func(ctx context.Context, p *AutoAcceptPayload) error {
		if p.OrderID == uuid.Nil {
			return fmt.Errorf("booking: auto-accept without order: %w", asynq.SkipRetry)
		}
		_, err := s.AutoAccept(ctx, p.OrderID)
		return ignoreSettled(err)
	})
	jobs.Handle(mux, func(ctx context.Context, p *ReminderPayload) error { return s.Remind(ctx, p.OrderID, p.Start) })
	jobs.Handle(mux, func(ctx context.Context, _ *RecurringPayload) error {
		_, err := s.RunRecurring(ctx)
		return err
	})
	mux.HandleFunc(TypeRecurringSweep, func(ctx context.Context, _ *asynq.Task) error {
		_, err := s.SweepRecurring(ctx)
		return err
	})
}

// ignoreSettled treats "no longer awaiting acceptance" and "order gone" as done.
func ignoreSettled(err error) error {
	if err == nil || IsIllegal(err) || errs.KindOf(err) == errs.NotFound {
		return nil
	}
	return err
}
