package dispatch

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/jobs"
)

// TypeAcceptTimeout reassigns an automatically assigned order whose staff member did not
// accept in time. Enqueued through the outbox with ProcessAt at assignment; idempotent.
const TypeAcceptTimeout = "dispatch:accept_timeout"

// AcceptTimeoutPayload is TypeAcceptTimeout's payload (the tenant is in Meta).
type AcceptTimeoutPayload struct {
	jobs.Meta
	OrderID uuid.UUID `json:"order_id"`
	StaffID uuid.UUID `json:"staff_id"`
	Attempt int       `json:"attempt"`
}

// TaskType implements jobs.Payload.
func (*AcceptTimeoutPayload) TaskType() string { return TypeAcceptTimeout }

// RegisterTasks adds the dispatch job handlers to mux.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	jobs.Handle(mux, func(ctx context.Context, p *AcceptTimeoutPayload) error {
		if p.OrderID == uuid.Nil || p.StaffID == uuid.Nil {
			return fmt.Errorf("dispatch: accept timeout without order or staff: %w", asynq.SkipRetry)
		}
		return s.AcceptTimeout(ctx, *p)
	})
	jobs.Handle(mux, func(ctx context.Context, p *WaitingPayload) error {
		if p.OrderID == uuid.Nil {
			return fmt.Errorf("dispatch: waiting order without an order: %w", asynq.SkipRetry)
		}
		return s.Waiting(ctx, *p)
	})
	jobs.Handle(mux, func(ctx context.Context, p *PoolRoundPayload) error {
		if p.OrderID == uuid.Nil || p.Round < 1 {
			return fmt.Errorf("dispatch: pool round without an order or round: %w", asynq.SkipRetry)
		}
		return s.PoolRoundOver(ctx, *p)
	})
}

// TypeWaiting dispatches an order booking says waits for staff (created or paid confirmed,
// or declined). Enqueued by OrderWaiting in booking's transaction; idempotent (see Waiting).
const TypeWaiting = "dispatch:order_waiting"

// WaitingPayload is TypeWaiting's payload.
type WaitingPayload struct {
	jobs.Meta
	OrderID uuid.UUID `json:"order_id"`
	Cause   string    `json:"cause"`
	StaffID uuid.UUID `json:"staff_id,omitempty"` // declined: who declined
}

// TaskType implements jobs.Payload.
func (*WaitingPayload) TaskType() string { return TypeWaiting }

// TypePoolRound ends a pool round: enqueued with ProcessAt at the round's expiry when its
// offers go out (and at once when its last open offer is declined); idempotent (see
// PoolRoundOver).
const TypePoolRound = "dispatch:pool_round"

// PoolRoundPayload is TypePoolRound's payload.
type PoolRoundPayload struct {
	jobs.Meta
	OrderID uuid.UUID `json:"order_id"`
	Round   int       `json:"round"`
}

// TaskType implements jobs.Payload.
func (*PoolRoundPayload) TaskType() string { return TypePoolRound }
