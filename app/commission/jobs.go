package commission

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/jobs"
)

// TypeSplit splits one order (payload: the order). Enqueued through the outbox when an order
// is completed and when it is paid; it splits only once both hold, and only once.
const TypeSplit = "commission:split"

// Task types: TypeSettleSweep is the hourly platform task that queues TypeSettle for every
// active tenant through the outbox; TypeSettle settles one tenant's splits past their holding
// period. Both are idempotent: a split is settled once.
const (
	TypeSettle      = "commission:settle"
	TypeSettleSweep = "commission:settle_sweep"
)

// SettlePayload is TypeSettle's payload.
type SettlePayload struct {
	jobs.Meta
}

// TaskType implements jobs.Payload.
func (*SettlePayload) TaskType() string { return TypeSettle }

// SplitPayload is TypeSplit's payload.
type SplitPayload struct {
	jobs.Meta
	OrderID uuid.UUID `json:"order_id"`
}

// TaskType implements jobs.Payload.
func (*SplitPayload) TaskType() string { return TypeSplit }

func (s *Service) enqueueSplit(ctx context.Context, orderID uuid.UUID) error {
	if s.outbox == nil {
		return nil
	}
	if _, err := s.outbox.Add(ctx, &SplitPayload{OrderID: orderID}); err != nil {
		return fmt.Errorf("commission: enqueue split: %w", err)
	}
	return nil
}

// RegisterTasks adds the commission job handlers to mux.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	jobs.Handle(mux, func(ctx context.Context, p *SplitPayload) error {
		if p.OrderID == uuid.Nil {
			return fmt.Errorf("commission: split without order: %w", asynq.SkipRetry)
		}
		_, err := s.Split(ctx, p.OrderID)
		if isGone(err) {
			return nil
		}
		return err
	})
	jobs.Handle(mux, func(ctx context.Context, _ *SettlePayload) error {
		_, err := s.SettleDue(ctx)
		return err
	})
	mux.HandleFunc(TypeSettleSweep, func(ctx context.Context, _ *asynq.Task) error {
		_, err := s.SweepSettlement(ctx)
		return err
	})
}

// RegisterPeriodic registers the hourly settlement run: hourly, so each tenant's local
// midnight is caught within the hour whatever its time zone.
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("7 * * * *", asynq.NewTask(TypeSettleSweep, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(3),
		asynq.Unique(30*time.Minute), asynq.Timeout(10*time.Minute))
	return err
}

// SweepSettlement queues TypeSettle for every active tenant and returns how many it queued.
func (s *Service) SweepSettlement(ctx context.Context) (int, error) {
	if s.outbox == nil {
		return 0, nil
	}
	return s.outbox.FanOut(ctx, func() jobs.Payload { return &SettlePayload{} }, jobs.Queue(jobs.QueueLow))
}
