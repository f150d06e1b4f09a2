package booking

import (
	"context"

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
