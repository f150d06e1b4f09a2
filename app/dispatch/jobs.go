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
}
