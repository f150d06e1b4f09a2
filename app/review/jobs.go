package review

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

	"doorstep/jobs"
)

// TypeAuto is the daily job writing automatic positive reviews in every active tenant whose
// booking settings set auto_review_days. Idempotent: an order has at most one review.
const TypeAuto = "review:auto"

// RegisterTasks adds the review job handlers to mux.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeAuto, func(ctx context.Context, _ *asynq.Task) error {
		_, err := s.AutoReviewAll(ctx)
		return err
	})
}

// RegisterPeriodic registers the daily run.
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("23 3 * * *", asynq.NewTask(TypeAuto, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(3),
		asynq.Unique(time.Hour), asynq.Timeout(30*time.Minute))
	return err
}

// AutoReviewAll runs AutoReview in every active tenant and returns how many reviews it wrote.
func (s *Service) AutoReviewAll(ctx context.Context) (int, error) {
	return jobs.EachActiveTenant(ctx, s.db, s.AutoReview)
}
