package staff

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

// TypeCertExpirySweep is the daily platform task (no tenant) that fans TypeCertExpiry out to
// every tenant through the outbox. A duplicate sweep only queues checks that find nothing
// left to do.
const TypeCertExpirySweep = "staff:cert_expiry_sweep"

// certExpirySpec runs the sweep daily at 16:30 UTC, which is 00:30 in China (UTC+8): just
// after the day in which most tenants' certificates expire has ended.
const certExpirySpec = "30 16 * * *"

// RegisterPeriodic registers the roster's periodic tasks on s.
func RegisterPeriodic(s *asynq.Scheduler) error {
	_, err := s.Register(certExpirySpec, asynq.NewTask(TypeCertExpirySweep, nil),
		asynq.Queue(jobs.QueueLow), asynq.MaxRetry(3), asynq.Unique(time.Hour), asynq.Timeout(10*time.Minute))
	return err
}

// SweepCertificates queues a TypeCertExpiry task for every tenant and returns how many.
func (s *Service) SweepCertificates(ctx context.Context) (int, error) {
	var tenants []uuid.UUID
	// tenants is a platform table the runtime role may read without a tenant set.
	if err := s.db.Gorm().WithContext(ctx).Raw("select id from tenants where status = 'active' order by id").Scan(&tenants).Error; err != nil {
		return 0, fmt.Errorf("staff: list tenants: %w", err)
	}
	n := 0
	var errs []error
	for _, t := range tenants {
		err := s.db.InTx(dbx.WithTenant(ctx, t), func(ctx context.Context) error {
			_, err := s.outbox.Add(ctx, &CertExpiryPayload{}, jobs.Queue(jobs.QueueLow))
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
