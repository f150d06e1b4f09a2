package booking

import (
	"context"
	"errors"

	"github.com/google/uuid"
)

// CompletionHook hears, inside the transaction of the change, that an order reached completed
// (accepted by the customer or automatically). Wiring hands in commission, which enqueues its
// split through the outbox, so only completions that commit are split; booking never imports it.
type CompletionHook interface {
	OrderCompleted(ctx context.Context, orderID uuid.UUID) error
}

// SetCompletionHook plugs in commission (wiring, before serving).
func (s *Service) SetCompletionHook(h CompletionHook) { s.completed = h }

func (s *Service) orderCompleted(ctx context.Context, id uuid.UUID) error {
	if s.completed == nil {
		return nil
	}
	return s.completed.OrderCompleted(ctx, id)
}

// CancelHook hears, inside the transaction of the change, that an order was cancelled. Wiring
// hands in payment, which enqueues the refund of what was paid less the cancellation fee
// through the outbox, so only cancellations that commit are refunded.
type CancelHook interface {
	OrderCancelled(ctx context.Context, orderID uuid.UUID) error
}

// SetCancelHook plugs in payment (wiring, before serving).
func (s *Service) SetCancelHook(h CancelHook) { s.cancelled = h }

// Wired reports the collaborators wiring must hand in before serving and has not: without them
// a confirmed order would never be dispatched, a completed one never split, a cancelled one
// never refunded. The app refuses to start on it.
func (s *Service) Wired() error {
	var missing []error
	if s.dispatch == nil {
		missing = append(missing, errors.New("booking: no dispatcher (SetDispatcher)"))
	}
	if s.completed == nil {
		missing = append(missing, errors.New("booking: no completion hook (SetCompletionHook)"))
	}
	if s.cancelled == nil {
		missing = append(missing, errors.New("booking: no cancel hook (SetCancelHook)"))
	}
	return errors.Join(missing...)
}
