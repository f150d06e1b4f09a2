package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/dbx"
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
	var tenants []uuid.UUID
	if err := s.db.Gorm().WithContext(ctx).Raw("select id from tenants where status = 'active' order by id").Scan(&tenants).Error; err != nil {
		return 0, fmt.Errorf("review: list tenants: %w", err)
	}
	total := 0
	var all []error
	for _, t := range tenants {
		n, err := s.AutoReview(dbx.WithTenant(ctx, t))
		if err != nil {
			all = append(all, fmt.Errorf("tenant %s: %w", t, err))
		}
		total += n
	}
	return total, errors.Join(all...)
}
