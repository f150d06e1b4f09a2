package payout

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/jobs"
)

// TypeTransfer pays an approved withdrawal out to the owner's connected account. Enqueued
// through the outbox at approval; idempotent (the transfer key is the row's, and a withdrawal
// that is no longer approved is left alone), so duplicates and retries are harmless.
const TypeTransfer = "payout:transfer"

// TransferPayload is TypeTransfer's payload (the tenant is in Meta).
type TransferPayload struct {
	jobs.Meta
	WithdrawalID uuid.UUID `json:"withdrawal_id"`
}

// TaskType implements jobs.Payload.
func (*TransferPayload) TaskType() string { return TypeTransfer }

// Task types: TypeResumeSweep is the platform task, every 15 minutes, that queues TypeResume
// for every active tenant through the outbox; TypeResume re-enqueues one tenant's transfers of
// withdrawals approved long ago and still unpaid (their task gave up or was lost): the saved
// key makes a second attempt safe.
const (
	TypeResume      = "payout:resume"
	TypeResumeSweep = "payout:resume_sweep"
)

// ResumePayload is TypeResume's payload.
type ResumePayload struct {
	jobs.Meta
}

// TaskType implements jobs.Payload.
func (*ResumePayload) TaskType() string { return TypeResume }

// stuckAfter is how long an approved withdrawal may wait before its transfer is enqueued again.
const stuckAfter = time.Hour

// RegisterTasks adds the payout job handlers to mux.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	jobs.Handle(mux, func(ctx context.Context, p *TransferPayload) error {
		if p.WithdrawalID == uuid.Nil {
			return fmt.Errorf("payout: transfer without a withdrawal: %w", asynq.SkipRetry)
		}
		return s.Transfer(ctx, p.WithdrawalID)
	})
	jobs.Handle(mux, func(ctx context.Context, _ *ResumePayload) error {
		_, err := s.Resume(ctx)
		return err
	})
	mux.HandleFunc(TypeResumeSweep, func(ctx context.Context, _ *asynq.Task) error {
		_, err := s.SweepResume(ctx)
		return err
	})
}

// RegisterPeriodic registers the resume sweep.
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("*/15 * * * *", asynq.NewTask(TypeResumeSweep, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(3),
		asynq.Unique(10*time.Minute), asynq.Timeout(10*time.Minute))
	return err
}

// SweepResume queues TypeResume for every active tenant and returns how many it queued.
func (s *Service) SweepResume(ctx context.Context) (int, error) {
	if s.outbox == nil {
		return 0, nil
	}
	return s.outbox.FanOut(ctx, func() jobs.Payload { return &ResumePayload{} }, jobs.Queue(jobs.QueueLow))
}

// Resume re-enqueues the tenant's transfers approved more than stuckAfter ago.
func (s *Service) Resume(ctx context.Context) (int, error) {
	if s.outbox == nil {
		return 0, nil
	}
	n := 0
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		ids, err := s.repo.Stuck(ctx, s.clock.Now().Add(-stuckAfter))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.outbox.Add(ctx, &TransferPayload{WithdrawalID: id}, jobs.Queue(jobs.QueueCritical), jobs.MaxRetry(20)); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}
