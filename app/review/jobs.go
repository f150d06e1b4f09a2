package review

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

	"doorstep/jobs"
)

// Task types: TypeAutoSweep is the daily platform task that queues TypeAuto for every active
// tenant through the outbox; TypeAuto writes one tenant's automatic positive reviews when its
// booking settings set auto_review_days. Both are idempotent: an order has at most one review.
const (
	TypeAuto      = "review:auto"
	TypeAutoSweep = "review:auto_sweep"
)

// AutoPayload is TypeAuto's payload.
type AutoPayload struct {
	jobs.Meta
}

// TaskType implements jobs.Payload.
func (*AutoPayload) TaskType() string { return TypeAuto }

// RegisterTasks adds the review job handlers to mux.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	jobs.Handle(mux, func(ctx context.Context, _ *AutoPayload) error {
		_, err := s.AutoReview(ctx)
		return err
	})
	mux.HandleFunc(TypeAutoSweep, func(ctx context.Context, _ *asynq.Task) error {
		_, err := s.SweepAutoReview(ctx)
		return err
	})
}

// RegisterPeriodic registers the daily sweep.
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("23 3 * * *", asynq.NewTask(TypeAutoSweep, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(3),
		asynq.Unique(time.Hour), asynq.Timeout(10*time.Minute))
	return err
}

// SweepAutoReview queues TypeAuto for every active tenant and returns how many it queued.
func (s *Service) SweepAutoReview(ctx context.Context) (int, error) {
	return s.outbox.FanOut(ctx, func() jobs.Payload { return &AutoPayload{} }, jobs.Queue(jobs.QueueLow))
}
