package staff

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

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
	return s.outbox.FanOut(ctx, func() jobs.Payload { return &CertExpiryPayload{} }, jobs.Queue(jobs.QueueLow))
}
